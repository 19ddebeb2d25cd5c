"""The quality gate: GX suites per raw entity, blocking checks, ops.check_results and data_health.

Two parts here (the checks on hand-made bad partitions, without a run:
tests/unit/test_quality_checks.py):
- every suite passes on the clean shops (the edge-case fixture and the simulated shop), read from
  the ops.check_results rows their session runs left;
- a gate failing inside a real run: a copy of the simulated shop whose one day of orders is 20 %
  bad. The run fails before dbt, serving.duckdb stays byte for byte the last good one (whose
  data_health lists that good run's checks) and `warehouse status` names the failed checks.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date

import pytest
from dagster import DagsterEventType

from cli.status import collect_status, exit_code, render_status
from ingest.contract import ENTITIES, ENTITY_BY_NAME
from orchestration.assets.ingest import raw_key
from orchestration.assets.serve import DASHBOARDS_KEY, SERVING_KEY
from orchestration.instance import dagster_instance
from orchestration.run_events import RAW_STEP
from quality.suites import check_names
from tests.support.warehouse import SIM_END, SIM_START, new_settings, read_table, run_window_as


def _all_check_names() -> set[str]:
    return {f"raw.{e.name}:{name}" for e in ENTITIES for name, _ in check_names(e.name)}


def _planted_days(landing) -> set[str]:
    """The days the simulator planted an event on (a promotion, an outage...): none for a shop
    without `_simulation.json`."""
    manifest = landing / "_simulation.json"
    if not manifest.exists():
        return set()
    plan = json.loads(manifest.read_text())["plan"]
    return {day for value in plan.values() for day in ([value] if isinstance(value, str) else value)}


def _unexpected(check: dict, planted: set[str]) -> bool:
    """A check that did not pass, unless it only warned about planted days (the simulated outage
    brings a burst of service tickets: the volume band rightly warns about that day)."""
    if check["passed"]:
        return False
    warned_days = set(re.findall(r"\d{4}-\d{2}-\d{2}", check["detail"].split("]")[0]))
    return not (check["severity"] == "warn" and warned_days and warned_days <= planted)


def _checks_of_last_run(db) -> tuple[str, dict[str, dict]]:
    rows = read_table(
        db,
        "SELECT * FROM ops.check_results WHERE run_id = "
        "(SELECT run_id FROM ops.check_results ORDER BY checked_at DESC LIMIT 1)",
    ).to_dicts()
    return rows[0]["run_id"], {r["check_name"]: r for r in rows}


# --- every suite passes on the clean shops ------------------------------------------------------


@pytest.mark.parametrize("shop", ["edge_shop_run", "simulated_shop"])
def test_every_suite_passes_on_a_clean_shop(shop, request):
    settings = request.getfixturevalue(shop)
    settings = settings[0] if isinstance(settings, tuple) else settings
    _, checks = _checks_of_last_run(settings.working_db)
    assert _all_check_names() <= checks.keys()  # every check of every raw entity was evaluated
    planted = _planted_days(settings.landing)
    failed = {name: r["detail"] for name, r in checks.items() if _unexpected(r, planted)}
    assert failed == {}
    # the dbt tests of the same build are recorded beside them, attached to their model
    assert "marts.kpi_daily:unique_kpi_daily_date" in checks
    assert checks["raw.shop_orders:order_total_identity"]["partition"].count("..") == 1
    # the edge shop's two versions of o10 with the same updated_at are change capture, not duplicates
    assert checks["raw.shop_orders:key_unique"]["rows_affected"] == 0


# --- a gate failing inside a real run ----------------------------------------------------------


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


BAD_DAY = date(2026, 1, 2)


@pytest.fixture(scope="module")
def failed_gate_run(simulated_shop, tmp_path_factory):
    """A copy of the simulated shop after its good run; one day's orders file is then 20 % bad
    (a tenth with an unknown status, quarantined; a tenth with totals that do not add up) and
    that day is run again: ONE extra pipeline run, of one batch day."""
    good = simulated_shop
    home, landing = tmp_path_factory.mktemp("gate_home"), tmp_path_factory.mktemp("gate_landing")
    shutil.copytree(good.home, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.lock", "*.tmp"))
    shutil.copytree(good.landing, landing, dirs_exist_ok=True)
    [orders_file] = (landing / "shop" / "orders" / f"dt={BAD_DAY}").iterdir()
    lines = orders_file.read_text().splitlines()
    header, body = lines[0].split(","), lines[1:]
    status, total = header.index("status"), header.index("total_amount")
    tenth = max(1, len(body) // 10)
    for i in range(0, 2 * tenth):
        fields = body[i].split(",")
        assert len(fields) == len(header)  # the simulator writes no quoted commas in orders
        if i < tenth:
            fields[status] = "on_hold"
        else:
            fields[total] = f"{float(fields[total]) + 7:.2f}"
        body[i] = ",".join(fields)
    orders_file.write_text("\n".join([lines[0], *body]) + "\n")

    settings = new_settings(home, landing)
    serving_before = _sha256(settings.serving_db)
    published_run = read_table(settings.serving_db, "SELECT run_id FROM ops.publication").item()
    report = run_window_as(settings, BAD_DAY, BAD_DAY)
    return settings, report, serving_before, published_run


def test_a_failed_gate_stops_the_run_before_dbt(failed_gate_run):
    settings, report, _, _ = failed_gate_run
    assert not report.success
    text = report.one_line()
    assert "raw/shop_orders:quarantine_share failed" in text and "raw/shop_orders:order_total_identity failed" in text
    instance = dagster_instance(settings)
    materialized = {
        r.dagster_event.asset_key
        for r in instance.all_logs(report.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    }
    assert raw_key(ENTITY_BY_NAME["shop_orders"]) in materialized  # loaded, then stopped by its gate
    assert raw_key(ENTITY_BY_NAME["traffic_events"]) in materialized  # loaded beside it
    # the orders' children wait for the orders' gate: not loaded
    assert raw_key(ENTITY_BY_NAME["shop_payments"]) not in materialized
    assert not any(key.path[0] in ("staging", "intermediate", "marts") for key in materialized)
    assert materialized.isdisjoint({SERVING_KEY, DASHBOARDS_KEY})
    # dbt, publish and dashboards never started
    started = {r.dagster_event.step_key for r in instance.all_logs(report.run_id, of_type=DagsterEventType.STEP_START)}
    assert started == {RAW_STEP}


def test_a_failed_gate_leaves_serving_untouched_and_its_record_in_the_working_db(failed_gate_run):
    settings, report, serving_before, published_run = failed_gate_run
    assert _sha256(settings.serving_db) == serving_before
    checks = read_table(
        settings.working_db, "SELECT * FROM ops.check_results WHERE run_id = ?".replace("?", f"'{report.run_id}'")
    ).to_dicts()
    failed = {r["check_name"]: r for r in checks if not r["passed"]}
    assert set(failed) == {"raw.shop_orders:quarantine_share", "raw.shop_orders:order_total_identity"}
    quarantine = failed["raw.shop_orders:quarantine_share"]
    assert quarantine["partition"] == str(BAD_DAY) and quarantine["rows_affected"] > 0
    assert f"{BAD_DAY}: " in quarantine["detail"] and "unknown_enum" in quarantine["detail"]
    identity = failed["raw.shop_orders:order_total_identity"]
    assert identity["rows_affected"] > 0 and "parts give" in identity["detail"]
    # the other entities of the day were loaded and checked; the orders' children waited for them
    assert {r["asset"] for r in checks} >= {"raw.traffic_events", "raw.shop_customers", "raw.finance_fx_rates"}
    assert "raw.shop_payments" not in {r["asset"] for r in checks}


def test_status_names_the_failed_checks_of_the_last_failed_run(failed_gate_run):
    settings, report, _, _ = failed_gate_run
    status = collect_status(settings)
    text = render_status(status)
    assert f"last run: {report.run_id[:8]} failure" in text and exit_code(status) == 1
    assert (
        "failed check raw/shop_orders:order_total_identity: expect_column_values_to_be_between(bad_total_share" in text
    )
    assert "failed check raw/shop_orders:quarantine_share" in text


def test_data_health_in_serving_lists_the_checks_of_the_last_good_run(failed_gate_run):
    settings, report, _, published_run = failed_gate_run
    health = read_table(settings.serving_db, "SELECT * FROM marts.data_health")
    assert report.run_id not in set(health["run_id"])
    good = health.filter(health["run_id"] == published_run)
    names = set(good["check_name"])
    assert _all_check_names() <= names and "marts.kpi_daily:unique_kpi_daily_date" in names
    assert not [r for r in good.to_dicts() if _unexpected(r, _planted_days(settings.landing))]
    assert good.height == len(names)  # grain: one row per (run_id, check_name)
    assert set(good["partition"]) >= {f"{SIM_START}..{SIM_END}"}
    assert {"checked_at", "asset", "partition", "passed", "rows_affected", "detail"} <= set(health.columns)
