"""Independent reference computations for tests (plain polars, straight from landing files).

Nothing here imports the pipeline, DuckDB or dbt: the point is a second, separately written
route to the published numbers, so that tests can compare the two.
"""
