"""The whole pipeline (real Dagster run, real dbt build, real DuckDB files) on the hand-made
edge-case shop: kpi_daily equals the hand-worked numbers and the independent polars route."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
from dagster import DagsterEventType, RunsFilter

from orchestration.instance import dagster_instance
from orchestration.job import build_definitions
from tests.fixtures.edge_shop_expected import EXPECTED, EXPECTED_UTC_HOME_US, SERVICE_KPIS, TRAFFIC_KPIS
from tests.reference.compare import as_expected, mismatches
from tests.reference.kpi_daily import compute_kpi_daily
from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS, kpi_daily, read_table, run_ok, use_warehouse

PII_FIELDS = {
    "shop_customers": ("email", "phone", "full_name"),
    "shop_orders": ("device_id", "ip_address"),
    "traffic_events": ("anonymous_id", "ip_address"),
}


def test_kpi_daily_equals_the_hand_worked_numbers(edge_shop_run):
    settings, _ = edge_shop_run
    assert mismatches(kpi_daily(settings), EXPECTED) == []


def test_kpi_daily_equals_the_independent_polars_route(edge_shop_run):
    settings, _ = edge_shop_run
    reference = as_expected(compute_kpi_daily(EDGE_SHOP))
    assert mismatches(kpi_daily(settings), reference) == []


def test_the_range_is_one_dagster_run_with_every_asset_and_check(edge_shop_run):
    settings, report = edge_shop_run
    instance = dagster_instance(settings)
    runs = instance.get_runs(RunsFilter())
    assert [r.run_id for r in runs] == [report.run_id]
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2026-03-01"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2026-03-04"

    graph = build_definitions(settings).get_repository_def().asset_graph
    materialized = {
        r.dagster_event.asset_key
        for r in instance.all_logs(report.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    }
    assert materialized == set(graph.get_all_asset_keys())
    evaluations = instance.all_logs(report.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    checked = {
        (r.dagster_event.event_specific_data.asset_key, r.dagster_event.event_specific_data.check_name)
        for r in evaluations
    }
    assert checked == {(k.asset_key, k.name) for k in graph.asset_check_keys}
    assert len(checked) > 20  # the gate's checks (dbt's tests are not Dagster asset checks)
    assert all(r.dagster_event.event_specific_data.passed for r in evaluations)
    # dbt's tests are counted from ops.check_results; none failed, so none was logged to Dagster
    assert report.dbt_checks.passed > 250 and (report.dbt_checks.warned, report.dbt_checks.failed) == (0, 0)
    assert not instance.all_logs(report.run_id, of_type=DagsterEventType.ASSET_OBSERVATION)


def _published_tables(settings) -> dict:
    return {
        name: read_table(settings.serving_db, f"SELECT * FROM {name} ORDER BY ALL")
        for (name,) in duckdb.connect(str(settings.serving_db), read_only=True)
        .execute(
            # data_health is the record of the runs themselves: a rerun adds its own checks
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name = 'marts' "
            "AND table_name <> 'data_health'"
        )
        .fetchall()
    }


def test_running_the_range_twice_leaves_identical_marts(edge_shop_run):
    settings, _ = edge_shop_run
    before = _published_tables(settings)
    run_ok(settings, *EDGE_SHOP_DAYS)
    after = _published_tables(settings)
    assert before.keys() == after.keys() and before
    for name in before:
        assert before[name].equals(after[name]), name


def _clear_pii_values(settings) -> set[str]:
    values = set()
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        for table, fields in PII_FIELDS.items():
            for field in fields:
                rows = con.execute(f"SELECT DISTINCT {field} FROM raw.{table} WHERE {field} IS NOT NULL").fetchall()
                values |= {r[0] for r in rows}
    finally:
        con.close()
    return values


def _text_of_every_column(db, schemas) -> list[tuple[str, str]]:
    """(table.column, value as text) for every column of every relation in `schemas`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            f"WHERE table_schema IN ({', '.join(repr(s) for s in schemas)})"
        ).fetchall()
        cells = []
        for schema, table, column in columns:
            for (value,) in con.execute(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {schema}."{table}" WHERE "{column}" IS NOT NULL'
            ).fetchall():
                cells.append((f"{schema}.{table}.{column}", value))
        return cells
    finally:
        con.close()


def test_no_personal_data_in_clear_text_after_staging(edge_shop_run):
    settings, _ = edge_shop_run
    secrets = _clear_pii_values(settings)
    assert len(secrets) >= 10  # the fixture does carry emails, phones, names, ips, device ids
    # a secret counts when it stands as a whole token: 'a1' inside a hex digest is not a leak
    found = re.compile("|".join(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])" for s in secrets))
    leaks = [
        (where, value)
        for db, schemas in ((settings.serving_db, ("marts", "ops")), (settings.working_db, ("intermediate", "marts")))
        for where, value in _text_of_every_column(db, schemas)
        if found.search(value)
    ]
    assert leaks == []


def test_every_published_mart_and_column_carries_its_definition(edge_shop_run):
    """The dbt docs' descriptions are comments in serving.duckdb, for BI tools to show."""
    settings, _ = edge_shop_run
    con = duckdb.connect(str(settings.serving_db), read_only=True)
    try:
        tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts'"
        ).fetchall()
    finally:
        con.close()
    assert len(tables) >= 20 and len(columns) > 250
    assert [t for t, comment in tables if not (comment or "").strip()] == []
    assert [f"{t}.{c}" for t, c, comment in columns if not (comment or "").strip()] == []
    gmv = next(comment for t, c, comment in columns if (t, c) == ("kpi_daily", "gmv"))
    assert gmv == "Σ `items_subtotal` of all placed orders that day, any status (base currency)"


def test_a_shop_with_only_order_system_files_runs_green(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(EDGE_SHOP, landing, ignore=shutil.ignore_patterns("traffic", "service", "marketing"))
    settings = use_warehouse(monkeypatch, tmp_path / "home", landing)
    run_ok(settings, *EDGE_SHOP_DAYS)
    absent = set(TRAFFIC_KPIS) | set(SERVICE_KPIS)
    expected = {
        day: {col: (None if col in absent else value) for col, value in columns.items()}
        for day, columns in EXPECTED.items()
    }
    assert mismatches(kpi_daily(settings), expected) == []
    # the service marts are published, empty, with their columns
    for mart, column in (("service_daily", "bot_containment_rate"), ("agent_daily", "first_responses")):
        empty = read_table(settings.serving_db, f"SELECT * FROM marts.{mart}")
        assert empty.height == 0 and column in empty.columns, mart


def test_settings_change_the_results_as_they_should(tmp_path, monkeypatch):
    settings = use_warehouse(
        monkeypatch,
        tmp_path / "home",
        EDGE_SHOP,
        WAREHOUSE_TZ="UTC",
        WAREHOUSE_HOME_COUNTRY="US",
        WAREHOUSE_REFUND_WINDOW_DAYS="2",
    )
    run_ok(settings, *EDGE_SHOP_DAYS)
    got = kpi_daily(settings)
    assert mismatches(got, EXPECTED_UTC_HOME_US) == []
    reference = compute_kpi_daily(EDGE_SHOP, tz="UTC", home_country="US", refund_window_days=2)
    assert mismatches(got, as_expected(reference)) == []
    assert mismatches(got, EXPECTED) != []  # the defaults give other numbers
    # a 2-day refund window: with the last complete day 03-04, 03-01 and 03-02 are final
    assert got["is_final"].to_list() == [True, True, False, False]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def test_warehouse_ui_shows_the_cli_run(edge_shop_run):
    settings, report = edge_shop_run
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "WAREHOUSE_HOME": str(settings.home), "WAREHOUSE_LANDING": str(settings.landing)}
    ui = subprocess.Popen(
        [str(Path(sys.executable).parent / "warehouse"), "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                runs = _graphql(port, "{ runsOrError { ... on Runs { results { runId status jobName } } } }")
                break
            except OSError:
                if time.monotonic() > deadline or ui.poll() is not None:
                    raise
                time.sleep(1)
        assert {"runId": report.run_id, "status": "SUCCESS", "jobName": "warehouse_job"} in runs["runsOrError"][
            "results"
        ]
        nodes = _graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
        shown = {tuple(n["assetKey"]["path"]) for n in nodes}
        graph = build_definitions(settings).get_repository_def().asset_graph
        assert {tuple(k.path) for k in graph.get_all_asset_keys()} <= shown
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=30)
