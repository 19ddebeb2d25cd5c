"""The Spark engine at length (WAREHOUSE_ENGINE=spark; architecture.md, "Engines"): a six-day
shop run through the real pipeline twice, once built by DuckDB and once by a local in-process Spark
(dbt-spark, session mode, Java 17), publishes the same marts cell for cell (tests/support/engines.py).

dbt's unit tests pass on the Spark catalog. Both re-run the last three batch days as one
incremental run (the last re-sent without its orders and with late events of the first, the middle
one unchanged) and must still agree; the orders-only shop runs on Spark; and a Spark Thrift Server
started on 127.0.0.1 (WAREHOUSE_SPARK_THRIFT) builds and lands the same marts.

The module takes ~20 minutes on 2 cores: it is marked `spark_long` and left out of
`./scripts/test`, which runs the short Spark build of test_spark_build.py instead. Run it with
`WAREHOUSE_ENGINE=spark scripts/bootstrap && .venv/bin/pytest -m spark_long
tests/integration/test_spark_engine.py` (docs/spark.md)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.engines import engine_homes, mart_differences, publishing_engine
from tests.support.warehouse import FIXTURES, fetch_rows, run_ok

pytest.importorskip("pyspark", reason="the Spark engine's packages: WAREHOUSE_ENGINE=spark scripts/bootstrap")
pytestmark = pytest.mark.spark_long

START, DAYS = date(2026, 11, 1), 6
END = START + timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    from simulator.simulate import simulate

    tmp = tmp_path_factory.mktemp("engines")
    landing = tmp / "landing"
    simulate(landing, START, DAYS, scale="tiny", seed=3)
    duck, spark = engine_homes(tmp, landing)
    run_ok(duck, START, END)
    run_ok(spark, START, END)
    return duck, spark


def test_dbt_unit_tests_pass_on_spark(shops):
    """dbt's unit tests, which a run leaves out, on the Spark catalog the run built (they read its
    tables' column types): the models' hand-worked cases, computed by Spark."""
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


def _rewrite(landing: Path, lost: date, late_of: date) -> None:
    """Batch day `lost` re-sent without orders (and their items, payments and refunds): the last
    batch day, so no later batch brings its orders back and the day loses all of them; and late
    clickstream events of day `late_of`, as new sessions, inside that same batch."""
    for entity in ("orders", "order_items", "payments", "refunds"):
        for path in (landing / "shop" / entity / f"dt={lost.isoformat()}").glob("*.csv"):
            path.write_text(path.read_text().splitlines()[0] + "\n")
    earlier = sorted((landing / "traffic" / "events" / f"dt={late_of.isoformat()}").glob("*.jsonl*"))
    with gzip.open(earlier[0], "rt") if earlier[0].suffix == ".gz" else earlier[0].open() as f:
        events = [json.loads(line) for line in f.read().splitlines()[:20]]
    (landing / "traffic" / "events" / f"dt={lost.isoformat()}" / "late.jsonl").write_text(
        "".join(
            json.dumps({**e, "event_id": e["event_id"] + "-late", "session_id": e["session_id"] + "-late"}) + "\n"
            for e in events
        )
    )


def test_late_data_reruns_and_a_lost_day_agree_on_spark(shops):
    """The last three batch days run again, as one incremental run on each engine: the last one
    re-sent without its orders and holding late events of the first one; the middle one unchanged.
    Then Spark's incremental result equals a full refresh of the same files (built by DuckDB: the
    engines were just shown to agree, and it costs seconds, not minutes)."""
    duck, spark = shops
    assert publishing_engine(spark.serving_db) == "spark"
    assert fetch_rows(spark.serving_db, "SELECT count(*) FROM marts.kpi_daily")[0][0] == DAYS
    assert mart_differences(duck.serving_db, spark.serving_db) == []  # the six days, before the re-run
    first = END - timedelta(days=2)
    day = "SELECT coalesce(sum(paid_orders), 0), coalesce(sum(sessions), 0) FROM marts.kpi_daily WHERE date = DATE '{}'"
    (orders_before, _), (_, sessions_before) = (fetch_rows(spark.serving_db, day.format(d))[0] for d in (END, first))
    _rewrite(duck.landing, END, first)
    for settings in (duck, spark):
        run_ok(settings, first, END)
    (orders_after, _), (_, sessions_after) = (fetch_rows(spark.serving_db, day.format(d))[0] for d in (END, first))
    assert orders_before > 0 and orders_after == 0  # the day lost all its orders
    assert sessions_after > sessions_before  # the late events' sessions count on their own day
    assert mart_differences(duck.serving_db, spark.serving_db) == []
    run_ok(duck, START, END, full_refresh=True)
    assert mart_differences(duck.serving_db, spark.serving_db) == []


def test_the_orders_only_shop_runs_on_spark(tmp_path):
    duck, spark = engine_homes(tmp_path, FIXTURES / "customers_shop")
    run_ok(duck, date(2026, 1, 31), date(2026, 2, 10))
    run_ok(spark, date(2026, 1, 31), date(2026, 2, 10))
    assert mart_differences(duck.serving_db, spark.serving_db) == []


@pytest.fixture(scope="module")
def thrift_server(tmp_path_factory):
    """A Spark Thrift Server on 127.0.0.1 with a catalog of its own, started as a cluster's would
    be (spark-submit of HiveThriftServer2, shipped in pyspark's jars); its address."""
    import pyspark

    from transform.spark import spark_environment

    folder = tmp_path_factory.mktemp("thrift_server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(pyspark.__file__).parent / "bin" / "spark-submit"),
        *("--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2", "--master", "local[2]"),
        *("--conf", f"spark.sql.warehouse.dir={folder}/warehouse", "--conf", "spark.ui.enabled=false"),
        *(
            "--conf",
            f"spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName={folder}/metastore;create=true",
        ),
        *("--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={folder}"),
        *("--hiveconf", f"hive.server2.thrift.port={port}", "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1"),
        "spark-internal",
    ]
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        command,
        cwd=folder,
        env={**os.environ, **spark_environment()},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Thrift server did not start: {(folder / 'server.log').read_text()[-2000:]}")
                time.sleep(1)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_a_thrift_server_builds_what_duckdb_builds(tmp_path, thrift_server):
    """WAREHOUSE_SPARK_THRIFT: dbt-spark's thrift method builds on the server, the marts are landed
    through it (not from files), and the published marts equal DuckDB's cell for cell."""
    from simulator.simulate import simulate

    simulate(tmp_path / "landing", START, 3, scale="tiny", seed=3)
    duck, spark = engine_homes(tmp_path, tmp_path / "landing", WAREHOUSE_SPARK_THRIFT=thrift_server)
    last = START + timedelta(days=2)
    run_ok(duck, START, last)
    run_ok(spark, START, last)
    assert publishing_engine(spark.serving_db) == "spark"
    assert not (spark.home / "spark").exists()  # no local Spark: the server's catalog holds the tables
    assert mart_differences(duck.serving_db, spark.serving_db) == []
