"""Data-quality suites (great-expectations) and the gate that decides whether a run may publish.

Interface (`from quality import name`; none of it imports GX until something is validated):

- `check_specs(entity)`, `check_names(entity_name)`: every check of a raw entity, for the Dagster
  asset check specs; `upstream_entities(entity)`; `OPT_IN_CHECKS`, the checks a shop may make
  blocking (`WAREHOUSE_BLOCKING_CHECKS`).
- `validate_raw(con, entity, days, tz, max_share, blocks)`: evaluate them over the run's batch
  days; one `CheckOutcome` per check.
- `record_outcomes`, `ensure_check_results`, `dbt_test_outcomes`, `dbt_test_counts`:
  `ops.check_results` (every check evaluation of every run, GX checks and dbt tests alike), and
  `DATA_HEALTH_SQL`, the published `marts.data_health`.

Each name is imported on first use (PEP 562 `__getattr__`): the settings read `OPT_IN_CHECKS`
when the `warehouse` command starts, which must not pay for DuckDB and pandas.

What each check guards against: docs/data-quality.md.
"""

from importlib import import_module

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(("OPT_IN_CHECKS", "check_names", "check_specs", "upstream_entities"), "quality.suites"),
    **dict.fromkeys(("validate_raw",), "quality.gate"),
    **dict.fromkeys(("CheckOutcome",), "quality.outcome"),
    **dict.fromkeys(
        ("DATA_HEALTH_SQL", "dbt_test_counts", "dbt_test_outcomes", "ensure_check_results", "record_outcomes"),
        "quality.results",
    ),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(import_module(_EXPORTS[name]), name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
