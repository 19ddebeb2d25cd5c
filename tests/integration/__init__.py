"""Tests that run the real pipeline (dbt, Dagster, DuckDB files, a headless browser): all `slow`,
marked by tests/integration/conftest.py."""
