"""The whole pipeline on a small simulated shop: kpi_daily in the serving database equals the
independent polars route over the same landing files, and the shop really holds the hard
cases (orders around local midnight, late status changes, foreign-currency orders, late events)."""

from __future__ import annotations

import duckdb
import pytest

from simulator.simulate import simulate
from tests.reference.compare import as_expected, mismatches
from tests.reference.kpi_daily import compute_kpi_daily
from tests.support.warehouse import SIM_DAYS as DAYS
from tests.support.warehouse import SIM_END as END
from tests.support.warehouse import SIM_SEED, kpi_daily, new_settings, run_ok
from tests.support.warehouse import SIM_START as START


@pytest.fixture(scope="module")
def simulated_run(simulated_shop):
    return simulated_shop


def _count(db, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def test_the_simulated_shop_holds_the_hard_cases(simulated_run):
    db = simulated_run.working_db
    tz = simulated_run.tz
    assert _count(db, "SELECT count(DISTINCT order_id) FROM raw.shop_orders WHERE currency <> 'CNY'") > 0
    late_changes = (
        "SELECT count(*) FROM (SELECT order_id FROM raw.shop_orders GROUP BY 1 HAVING count(DISTINCT _batch_dt) > 1)"
    )
    assert _count(db, late_changes) > 0
    around_midnight = (
        "SELECT count(*) FROM raw.shop_orders "
        f"WHERE CAST(timezone('UTC', created_at) AS DATE) <> CAST(timezone('{tz}', created_at) AS DATE)"
    )
    assert _count(db, around_midnight) > 0
    late_events = f"SELECT count(*) FROM raw.traffic_events WHERE CAST(timezone('{tz}', event_ts) AS DATE) < _batch_dt"
    assert _count(db, late_events) > 0
    assert _count(db, "SELECT sum(rows_duplicate) FROM ops.ingest_log WHERE entity = 'traffic_events'") > 0


def test_kpi_daily_equals_the_independent_polars_route(simulated_run):
    got = kpi_daily(simulated_run)
    assert got.height >= DAYS
    assert mismatches(got, as_expected(compute_kpi_daily(simulated_run.landing))) == []


def test_the_base_currency_setting_converts_money(tmp_path, simulated_run):
    """The same shop with a USD ledger: fx rates to USD, money in marts in USD."""
    landing = tmp_path / "landing"
    simulate(landing, START, DAYS, scale="tiny", seed=SIM_SEED, base_currency="USD")
    settings = new_settings(tmp_path / "home", landing, WAREHOUSE_BASE_CURRENCY="USD")
    run_ok(settings, START, END)
    in_usd = kpi_daily(settings)
    assert mismatches(in_usd, as_expected(compute_kpi_daily(landing, base_currency="USD"))) == []
    in_cny = kpi_daily(simulated_run)
    assert in_usd["paid_orders"].to_list() == in_cny["paid_orders"].to_list()
    ratio = float(in_cny["gmv"].sum()) / float(in_usd["gmv"].sum())
    assert 5 < ratio < 9  # a yuan is worth roughly a seventh of a dollar
