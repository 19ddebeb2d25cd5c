"""The Spark engine (WAREHOUSE_ENGINE=spark; architecture.md, "Engines"): the same shop run through
the real pipeline twice, once built by DuckDB and once by a local in-process Spark (dbt-spark,
session mode, Java 17), must publish the same marts, cell for cell: doubles within 1e-9 relative,
everything else (money, counts, dates, keys) exactly. The comparison is written here, over the two
served databases; the two homes share one personal-data key, so customer keys must match too.

Then both re-run the last three batch days as one incremental run (the last re-sent without its
orders and with late events of the first, the middle one unchanged) and must still agree; the
orders-only shop runs on Spark; dbt's unit tests pass on Spark; and a Spark Thrift Server started
on 127.0.0.1 (WAREHOUSE_SPARK_THRIFT) builds and lands the same marts.

A Spark run of the tiny shop takes ~4 minutes on 2 cores, the module ~20: it is marked
`spark_long` and left out of `./scripts/test` (CI's 25 minutes); run it with
`WAREHOUSE_ENGINE=spark scripts/bootstrap && .venv/bin/pytest -m spark_long
tests/integration/test_spark_engine.py` (docs/spark.md)."""

from __future__ import annotations

import gzip
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.warehouse import FIXTURES, fetch_rows, new_settings, run_ok

pytest.importorskip("pyspark", reason="the Spark engine's packages: WAREHOUSE_ENGINE=spark scripts/bootstrap")
pytestmark = pytest.mark.spark_long

START, DAYS = date(2026, 11, 1), 6
END = START + timedelta(days=DAYS - 1)


def _homes(tmp: Path, landing: Path):
    duck = new_settings(tmp / "duckdb", landing)
    spark = new_settings(tmp / "spark", landing, WAREHOUSE_ENGINE="spark")
    for settings in (duck, spark):
        settings.home.mkdir(parents=True)
    assert duck.hash_key  # made now, copied: one key, the same customer keys on both engines
    shutil.copy(duck.home / "hash_key", spark.home / "hash_key")
    return duck, spark


@pytest.fixture(scope="module")
def shops(tmp_path_factory):
    from simulator.simulate import simulate

    tmp = tmp_path_factory.mktemp("engines")
    landing = tmp / "landing"
    simulate(landing, START, DAYS, scale="tiny", seed=3)
    duck, spark = _homes(tmp, landing)
    run_ok(duck, START, END)
    run_ok(spark, START, END)
    return duck, spark


def _marts(db: Path) -> list[str]:
    """The published marts but data_health: the record of each run's checks (run ids, times)."""
    return [
        r[0]
        for r in fetch_rows(
            db,
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name != 'data_health' "
            "ORDER BY 1",
        )
    ]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a == b and type(a) is type(b)  # money exactly, and money on both sides
    return a == b


def _differences(left: Path, right: Path) -> list[str]:
    """Every mart of `left` against `right`: same tables, columns and types, same rows."""
    out = []
    tables = _marts(left)
    if _marts(right) != tables:
        return [f"tables differ: {sorted(set(tables) ^ set(_marts(right)))}"]
    for table in tables:
        columns = f"SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = '{table}' ORDER BY column_index"
        if fetch_rows(left, columns) != fetch_rows(right, columns):
            out.append(f"{table}: columns {fetch_rows(left, columns)} vs {fetch_rows(right, columns)}")
            continue
        rows = f"SELECT * FROM marts.{table} ORDER BY ALL"
        a, b = fetch_rows(left, rows), fetch_rows(right, rows)
        if len(a) != len(b):
            out.append(f"{table}: {len(a)} rows vs {len(b)}")
            continue
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            bad = [k for k, (u, v) in enumerate(zip(x, y, strict=True)) if not _same(u, v)]
            if bad:
                out.append(f"{table} row {i}: {[(x[k], y[k]) for k in bad][:3]}")
                break
    return out


def _engine(db: Path) -> str:
    return fetch_rows(db, "SELECT engine FROM ops.publication")[0][0]


def test_spark_publishes_the_marts_duckdb_publishes(shops):
    duck, spark = shops
    assert _engine(duck.serving_db) == "duckdb" and _engine(spark.serving_db) == "spark"
    assert len(_marts(spark.serving_db)) >= 20
    assert fetch_rows(spark.serving_db, "SELECT count(*) FROM marts.kpi_daily")[0][0] == DAYS
    assert _differences(duck.serving_db, spark.serving_db) == []


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
    re-sent without its orders and holding late events of the first one; the middle one unchanged."""
    duck, spark = shops
    first = END - timedelta(days=2)
    day = "SELECT coalesce(sum(paid_orders), 0), coalesce(sum(sessions), 0) FROM marts.kpi_daily WHERE date = DATE '{}'"
    (orders_before, _), (_, sessions_before) = (fetch_rows(spark.serving_db, day.format(d))[0] for d in (END, first))
    _rewrite(duck.landing, END, first)
    for settings in (duck, spark):
        run_ok(settings, first, END)
    (orders_after, _), (_, sessions_after) = (fetch_rows(spark.serving_db, day.format(d))[0] for d in (END, first))
    assert orders_before > 0 and orders_after == 0  # the day lost all its orders
    assert sessions_after > sessions_before  # the late events' sessions count on their own day
    assert _differences(duck.serving_db, spark.serving_db) == []


def test_dbt_unit_tests_pass_on_spark(shops):
    """dbt's unit tests (left out of a run's build) on the Spark catalog the runs built."""
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


def test_the_orders_only_shop_runs_on_spark(tmp_path):
    duck, spark = _homes(tmp_path, FIXTURES / "customers_shop")
    run_ok(duck, date(2026, 1, 31), date(2026, 2, 10))
    run_ok(spark, date(2026, 1, 31), date(2026, 2, 10))
    assert _differences(duck.serving_db, spark.serving_db) == []


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
    duck, spark = _homes(tmp_path, tmp_path / "landing")
    spark = new_settings(spark.home, spark.landing, WAREHOUSE_ENGINE="spark", WAREHOUSE_SPARK_THRIFT=thrift_server)
    last = START + timedelta(days=2)
    run_ok(duck, START, last)
    run_ok(spark, START, last)
    assert _engine(spark.serving_db) == "spark"
    assert not (spark.home / "spark").exists()  # no local Spark: the server's catalog holds the tables
    assert _differences(duck.serving_db, spark.serving_db) == []
