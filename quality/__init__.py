"""Data-quality suites (great-expectations) and the gate that decides whether a run may publish.

Interface for the rest of the project (none of it imports GX until something is validated):

- `quality.suites.check_names(entity_name)`: the (name, description) of every check of a raw
  entity, for the Dagster asset check specs; `quality.suites.upstream_entities(entity)`.
- `quality.gate.validate_raw(con, entity, days, tz, max_share, blocks)`: evaluate them over the run's
  batch days; one `CheckOutcome` per check.
- `quality.results`: `ops.check_results` (every check evaluation of every run, GX checks and dbt
  tests alike) and `DATA_HEALTH_SQL`, the published `marts.data_health`.

What each check guards against: docs/data-quality.md.
"""
