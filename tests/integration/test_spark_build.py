"""The Spark engine on every CI run (WAREHOUSE_ENGINE=spark; architecture.md, "Engines"): a small
shop, two batch days of the tiny simulated shop, run through the real pipeline by DuckDB and by
`warehouse run` on a local in-process Spark (dbt-spark, session mode, Java 17), publishes the
same marts, cell for cell (tests/support/engines.py); then dbt's unit tests, which a run leaves
out, pass on the catalog the Spark run built. Together: every model, seed, data test and unit
test of `dbt build --target spark`, compiled and run.

`./scripts/test` installs what this needs (the extra `spark`, a Java 17 runtime when missing) and
sets TEST_SPARK=1, so a missing pyspark fails here instead of skipping. Late data, re-runs, a lost
day, the orders-only shop and a Thrift server: test_spark_engine.py (`spark_long`)."""

from __future__ import annotations

import json
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


def test_dbt_unit_tests_pass_on_spark(shops):
    """dbt's unit tests on the Spark catalog the run built (they read its tables' column types)."""
    from transform import build_args, dbt_command

    _, spark = shops
    engine_args, engine_vars = build_args(spark, (START.isoformat(), END.isoformat()))
    target = spark.home / "dbt" / "unit-tests"
    command = dbt_command(spark, ["test", "--select", "test_type:unit", *engine_args], target, engine_vars)
    done = subprocess.run(command, capture_output=True, text=True, cwd=spark.home)
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert done.returncode == 0, done.stdout[-2000:]
    units = [r for r in results if r["unique_id"].startswith("unit_test.")]  # not the on-run-start hooks
    assert len(units) >= 50 and {r["status"] for r in units} == {"pass"}
