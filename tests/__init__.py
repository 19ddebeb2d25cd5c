"""The test suite: `unit/` (no pipeline run), `integration/` (the real pipeline: dbt, Dagster,
DuckDB files, a browser; marked `slow`), `support/` (helpers the tests import), `reference/`
(independent polars computations of the marts) and `fixtures/` (hand-made landing shops)."""
