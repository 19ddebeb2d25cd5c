"""A real small shop's years-old, sparse history runs end to end.

The shop (tests/fixtures/make_sparse_shop.py) starts in 2009 and spans 13 months of small, sparse
days: 1-5 orders on most days, days and runs of 3-6 days without any folder, one quiet week, one
day of 60 orders. It sends only the shop system, in GBP, the base currency (no fx rates). The real
`warehouse run` is started once as a subprocess over the whole range (the shop itself, without a
run: tests/unit/test_sparse_shop.py); then:

- it published (serving database, `ops.publication`, the printed summary: succeeded, warnings);
- the day of 60 orders is a volume warning (not an error) in `marts.data_health` and in
  `warehouse status` (JSON and text); the status exits 3 because the data is from 2010 (stale);
- `marts.kpi_daily` equals the independent polars computation over the landing files
  (tests/reference/kpi_daily.py) on every day, which itself agrees with the generator's own numbers.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.fixtures.make_sparse_shop import SparseShop, write_sparse_shop
from tests.reference.kpi_daily import INT_COLUMNS, KPI_COLUMNS, MONEY_COLUMNS, compute_kpi_daily
from tests.support.browser import Visit, chromium

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")
TZ, BASE_CURRENCY, HOME_COUNTRY = "Europe/London", "GBP", "GB"
RUN_TIMEOUT = 3600  # seconds; a year of batch days is one run
MONEY_TOLERANCE, RATIO_TOLERANCE = 0.01, 1e-9
ORDER_KPIS = (
    "placed_orders",
    "paid_orders",
    "cancelled_orders",
    "gmv",
    "gross_revenue",
    "refunded_amount",
    "net_revenue",
    "aov",
    "units_sold",
    "discount_amount",
    "new_customers",
    "cross_border_share",
)


class Ran:
    """The shop, its warehouse and what `warehouse run` printed."""

    def __init__(
        self, shop: SparseShop, home: Path, env: dict[str, str], run: subprocess.CompletedProcess, seconds: float
    ) -> None:
        self.shop, self.home, self.env, self.run, self.seconds = shop, home, env, run, seconds

    @property
    def serving_db(self) -> Path:
        return self.home / "serving.duckdb"

    def warehouse(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [WAREHOUSE, *args], capture_output=True, text=True, env=self.env, cwd=self.home, timeout=300
        )

    def query(self, sql: str, params: list | None = None) -> pl.DataFrame:
        con = duckdb.connect(str(self.serving_db), read_only=True)
        try:
            return con.sql(sql, params=params).pl()
        finally:
            con.close()


def _env(home: Path, landing: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAREHOUSE_") and k != "DAGSTER_HOME"}
    env.update(
        WAREHOUSE_HOME=str(home),
        WAREHOUSE_LANDING=str(landing),
        WAREHOUSE_TZ=TZ,
        WAREHOUSE_BASE_CURRENCY=BASE_CURRENCY,
        WAREHOUSE_HOME_COUNTRY=HOME_COUNTRY,
    )
    return env


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Ran:
    root = tmp_path_factory.mktemp("sparse_shop")
    shop = write_sparse_shop(root / "landing")
    home = root / "home"
    home.mkdir()
    env = _env(home, shop.landing)
    started = time.monotonic()
    run = subprocess.run(
        [WAREHOUSE, "run", "--start", shop.first_day.isoformat(), "--end", shop.last_day.isoformat()],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=RUN_TIMEOUT,
    )
    seconds = time.monotonic() - started
    assert run.returncode == 0, f"exit {run.returncode}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr[-4000:]}"
    return Ran(shop, home, env, run, seconds)


@pytest.fixture(scope="module")
def status_json(ran: Ran) -> tuple[int, dict]:
    result = ran.warehouse("status", "--json")
    assert result.stdout.strip(), result.stderr
    return result.returncode, json.loads(result.stdout)


# --------------------------------------------------------------------------- the run


def test_the_run_published(ran: Ran):
    assert ran.serving_db.exists()
    publication = ran.query("SELECT run_id FROM ops.publication")
    assert publication.height == 1
    run_id = publication["run_id"][0]
    out = ran.run.stdout
    assert re.search(rf"\brun {run_id[:8]}\b.*\bsucceeded\b", out), out
    warned = [int(n) for n in re.findall(r"(\d+) warned", out)]
    assert warned and max(warned) > 0, out
    assert "FAILED" not in out
    # the run covered every batch day of the history, and kpi_daily spans it
    span = ran.query("SELECT min(date) AS first, max(date) AS last, count(*) AS n FROM marts.kpi_daily").row(0)
    assert span == (ran.shop.first_day, ran.shop.last_day, (ran.shop.last_day - ran.shop.first_day).days + 1)
    loaded = ran.query(
        "SELECT count(DISTINCT batch_dt) AS n FROM ops.ingest_log WHERE entity = 'shop_orders' AND status = 'loaded'"
    )["n"][0]
    assert loaded == len(ran.shop.batch_days)


def test_the_day_of_60_orders_is_a_volume_warning_in_data_health(ran: Ran):
    run_id = ran.query("SELECT run_id FROM ops.publication")["run_id"][0]
    health = ran.query("SELECT * FROM marts.data_health WHERE run_id = ?", [run_id])
    volume = health.filter(pl.col("check_name") == "raw.shop_orders:row_count_bounds")
    assert volume.height == 1
    row = volume.row(0, named=True)
    assert row["passed"] is False and row["severity"] == "warn"
    assert ran.shop.big_day.isoformat() in row["detail"]
    assert f"{ran.shop.big_day_orders} rows" in row["detail"]
    failed_errors = health.filter(~pl.col("passed") & (pl.col("severity") == "error"))
    assert failed_errors.height == 0, failed_errors.to_dicts()


def test_status_json_shows_the_warning_and_is_stale(ran: Ran, status_json):
    code, status = status_json
    assert code == 3  # the latest batch day is from 2010: stale, and that is right
    last = status["last_run"]
    assert last["status"] == "SUCCESS"
    assert status["serving"]["run_id"] == last["run_id"]
    assert last["failed_checks"] == [] and last["failed_steps"] == []
    orders = [
        c for c in last["warned_checks"] if c["check_name"] == "row_count_bounds" and c["asset"] == "raw/shop_orders"
    ]
    assert len(orders) == 1 and ran.shop.big_day.isoformat() in orders[0]["detail"]
    assert all(s["stale"] for s in status["sources"])
    assert {s["latest_batch_day"] for s in status["sources"] if s["entity"] == "shop_orders"} == {"2010-11-30"}


def test_status_text_names_the_warned_check(ran: Ran):
    result = ran.warehouse("status")
    assert result.returncode == 3, result.stderr
    assert "warned check" in result.stdout
    assert re.search(r"warned check raw/shop_orders:row_count_bounds\b.*2010-07-15", result.stdout), result.stdout


# --------------------------------------------------------------------------- the numbers


def _same(got, want, column: str) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if column in INT_COLUMNS:
        return int(got) == int(want)
    tolerance = MONEY_TOLERANCE if column in MONEY_COLUMNS else RATIO_TOLERANCE
    return math.isclose(float(got), float(want), rel_tol=0, abs_tol=tolerance)


def test_the_reference_agrees_with_the_generator(ran: Ran):
    """The independent reading of the files says what the generator meant (placed, paid, money)."""
    ref = compute_kpi_daily(ran.shop.landing, tz=TZ, base_currency=BASE_CURRENCY, home_country=HOME_COUNTRY)
    rows = {r["date"]: r for r in ref.iter_rows(named=True)}
    problems = []
    for day, truth in ran.shop.truth.items():
        for column, want in truth.items():
            if not _same(rows[day][column], want, column):
                problems.append(f"{day} {column}: reference {rows[day][column]!r}, generator {want!r}")
    assert problems == []
    assert ref.filter(~pl.col("date").is_in(list(ran.shop.truth)))["placed_orders"].sum() == 0


def test_kpi_daily_equals_the_independent_computation(ran: Ran):
    ref = compute_kpi_daily(ran.shop.landing, tz=TZ, base_currency=BASE_CURRENCY, home_country=HOME_COUNTRY)
    mart = ran.query("SELECT * FROM marts.kpi_daily ORDER BY date")
    assert mart["date"].to_list() == ref["date"].to_list()
    assert set(ORDER_KPIS) <= set(KPI_COLUMNS) <= set(mart.columns)
    marts = {r["date"]: r for r in mart.iter_rows(named=True)}
    problems = []
    for want in ref.iter_rows(named=True):
        got = marts[want["date"]]
        for column in KPI_COLUMNS[1:]:
            if not _same(got[column], want[column], column):
                problems.append(f"{want['date']} {column}: mart {got[column]!r}, reference {want[column]!r}")
    assert problems == [], f"{len(problems)} differences:\n" + "\n".join(problems[:40])
    # the shop has no traffic and no service: their KPIs are null, not zero
    assert mart["sessions"].null_count() == mart.height and mart["tickets"].null_count() == mart.height
    # and the numbers are not trivially empty
    totals = mart.select(
        pl.col("placed_orders").sum(), pl.col("refunded_amount").sum(), pl.col("cross_border_share").max()
    )
    assert totals.row(0)[0] == ran.shop.orders and float(totals.row(0)[1]) > 0 and totals.row(0)[2] > 0


def test_the_cards_compare_with_the_same_days_a_year_before(ran: Ran):
    """13 months of history: the overview's GMV card (default range: the last 28 days of data)
    says its change against the same days 52 weeks earlier, by kpi_daily's numbers."""
    con = duckdb.connect(str(ran.home / "serving.duckdb"), read_only=True)
    try:
        gmv = dict(con.execute("SELECT date, gmv::DOUBLE FROM marts.kpi_daily ORDER BY date").fetchall())
    finally:
        con.close()
    days = list(gmv)
    first, last = days[-28], days[-1]
    start, end = first - timedelta(days=364), last - timedelta(days=364)
    current = sum(gmv[d] for d in days if first <= d <= last)
    before = sum(gmv[d] for d in days if start <= d <= end)
    change = current / before - 1
    with chromium() as browser:
        visit = Visit(browser)
        try:
            page = visit.open((ran.home / "dashboards" / "index.html").resolve().as_uri())
            text = page.inner_text(".card[data-kpi='gmv'] .period.main .yoy")
            assert visit.errors == []
        finally:
            visit.close()
    arrow = "▲" if change >= 0 else "▼"
    assert text.startswith(f"{arrow} {abs(change) * 100:,.1f} % vs a year before ("), (text, change)
