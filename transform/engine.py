"""What the pipeline does differently when Spark builds the dbt project (WAREHOUSE_ENGINE=spark;
architecture.md, "Engines"): the arguments of its one `dbt build`, and the landing of what Spark
built into the working DuckDB database, after which the quality gate, the Python marts and the
publish run as they do after a DuckDB build.

Landing copies the marts and the intermediate tables that readers after dbt need (the semantic
layer's sources, the Python marts' inputs) from the Parquet files of Spark's local catalog, or
through the Thrift server that built them (transform/spark_server.py), with the columns in the
order dbt declares them. Spark writes no file for a table without rows: for
those, its on-run-end hook leaves a typed one-row probe (macros/spark.sql, landing_probes) whose
columns the empty table takes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb

from config import Settings
from transform.spark import SparkPaths, spark_environment, spark_tables, spark_vars
from transform.spark_server import connect, land_table

# intermediate tables the Python marts read (orchestration/assets/analytics.py), besides the
# semantic layer's sources
PYTHON_MART_INPUTS = (("intermediate", "int_target_tracking"), ("intermediate", "int_experiment_variants"))


def spark_paths(settings: Settings) -> SparkPaths:
    return SparkPaths.of(settings.home, lake=settings.lake, spark_dir=settings.spark_dir)


def build_args(settings: Settings, window: tuple[str, str]) -> tuple[list[str], dict[str, str]]:
    """The target and vars a run's `dbt build` adds on Spark: where the lake, the catalog and the
    key file are, and the run's batch window (Spark cannot read the window table of the working
    database). A local Spark's process gets Java and a loopback address; a Thrift server
    (WAREHOUSE_SPARK_THRIFT) its address."""
    variables = spark_vars(spark_paths(settings), settings.working_db, window)
    variables["landed_tables"] = ",".join(f"{schema}.{table}" for schema, table in _read_after_dbt())
    if settings.spark_thrift:
        host, port = settings.spark_thrift.rsplit(":", 1)
        return ["--target", "spark_thrift"], {**variables, "spark_thrift_host": host, "spark_thrift_port": port}
    for name, value in spark_environment().items():
        os.environ.setdefault(name, value)
    return ["--target", "spark"], variables


def _read_after_dbt() -> list[tuple[str, str]]:
    """The tables besides the marts that readers after dbt need."""
    from serving import SEMANTIC_SOURCES  # here: serving's readers import this room

    return sorted({*SEMANTIC_SOURCES, *PYTHON_MART_INPUTS})


def landed_tables(manifest: Mapping) -> list[tuple[str, str]]:
    """(schema, table) of every dbt mart and of the intermediate tables read after dbt."""
    marts = sorted(
        ("marts", node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["schema"] == "marts"
        and node["config"].get("materialized") in ("table", "incremental")
    )
    return marts + [t for t in _read_after_dbt() if t[0] != "marts"]


def _columns(manifest: Mapping, schema: str, table: str) -> list[tuple[str, str | None]]:
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == schema and node["name"] == table:
            return [(c["name"], c.get("data_type")) for c in node["columns"].values()]
    return []


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def land_spark_tables(con: duckdb.DuckDBPyConnection, settings: Settings, manifest: Mapping) -> dict[str, int]:
    """Replace each landed table of the working database with Spark's copy; rows per table."""
    if settings.spark_thrift:
        return _land_through_server(con, settings.spark_thrift, manifest)
    paths = spark_paths(settings)
    rows: dict[str, int] = {}
    by_schema: dict[str, dict[str, Path]] = {}
    for schema, table in landed_tables(manifest):
        files = by_schema.setdefault(schema, spark_tables(paths.spark_dir, schema)).get(table)
        declared = _columns(manifest, schema, table)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        target = f"{schema}.{_q(table)}"
        empty = files is None
        if empty:  # no row: the probe's columns (one row of nulls, left out)
            files = by_schema.setdefault("landing_probe", spark_tables(paths.spark_dir, "landing_probe")).get(
                f"{schema}__{table}"
            )
            if files is None:
                raise RuntimeError(f"Spark left no file for {schema}.{table}, nor a probe of its columns")
        source = f"read_parquet('{_sql(files)}/**/part-*.parquet', hive_partitioning = true)"
        present = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        names = [n for n, _ in declared]
        order = names if sorted(names) == sorted(present) else present
        con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT {', '.join(map(_q, order))} FROM {source}"
            + (" WHERE false" if empty else "")
        )
        rows[f"{schema}.{table}"] = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
    return rows


def _land_through_server(con: duckdb.DuckDBPyConnection, address: str, manifest: Mapping) -> dict[str, int]:
    server = connect(address)
    try:
        cursor = server.cursor()
        return {
            f"{schema}.{table}": land_table(
                con, cursor, schema, table, [n for n, _ in _columns(manifest, schema, table)]
            )
            for schema, table in landed_tables(manifest)
        }
    finally:
        server.close()


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")
