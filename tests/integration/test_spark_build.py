"""The Spark engine on every CI run (WAREHOUSE_ENGINE=spark; architecture.md, "Engines"): a small
shop, two batch days of the tiny simulated shop, run through the real pipeline by DuckDB and by
`warehouse run` on a local in-process Spark (dbt-spark, session mode, Java 17), publishes the
same marts, cell for cell (tests/support/engines.py): every model, seed and data test of
`dbt build --target spark`, compiled and run.

`./scripts/test` installs what this needs (the extra `spark`, a Java 17 runtime when missing) and
sets TEST_SPARK=1, so a missing pyspark fails here instead of skipping. Late data, re-runs, a lost
day, dbt's unit tests, the orders-only shop and a Thrift server: test_spark_engine.py
(`spark_long`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.engines import engine_homes, mart_differences, published_marts, publishing_engine
from tests.support.warehouse import fetch_rows, run_ok

if os.environ.get("TEST_SPARK") != "1":
    pytest.importorskip("pyspark", reason="the Spark engine's packages: WAREHOUSE_ENGINE=spark scripts/bootstrap")

START, DAYS = date(2026, 11, 1), 2
END = START + timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    """The DuckDB home run in-process; the Spark home by the `warehouse run` command, as a shop
    runs it (nothing but the engine set: every other setting at its default on both)."""
    from simulator.simulate import simulate

    tmp = tmp_path_factory.mktemp("engines")
    simulate(tmp / "landing", START, DAYS, scale="tiny", seed=3)
    duck, spark = engine_homes(tmp, tmp / "landing")
    run_ok(duck, START, END)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp),
        "WAREHOUSE_HOME": str(spark.home),
        "WAREHOUSE_LANDING": str(spark.landing),
        "WAREHOUSE_ENGINE": "spark",
    }
    command = [str(Path(sys.executable).parent / "warehouse"), "run", "--start", str(START), "--end", str(END)]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    assert run.returncode == 0 and "succeeded" in run.stdout, run.stdout + run.stderr
    return duck, spark


def test_spark_publishes_the_marts_duckdb_publishes(shops):
    duck, spark = shops
    assert publishing_engine(duck.serving_db) == "duckdb" and publishing_engine(spark.serving_db) == "spark"
    assert len(published_marts(spark.serving_db)) >= 20
    assert fetch_rows(spark.serving_db, "SELECT count(*) FROM marts.kpi_daily")[0][0] == DAYS
    assert mart_differences(duck.serving_db, spark.serving_db) == []
