"""customer_rfm and cohort_retention: the real pipeline against the independent reference
(tests/reference/customers.py) on the `customers_shop` fixture, on the simulated shop (which
crosses 2025 -> 2026) and on a simulated shop whose last month is partial (data through
4 December: the provisional marks of cohort_retention, kpi_daily and session_paths); and, as
customers_shop sends no plan/targets, its empty target_tracking. The reference against hand-worked
numbers: tests/unit/test_reference_customers.py."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from tests.reference.compare import as_expected, frame_differences, mismatches
from tests.reference.customers import compute_cohort_retention, compute_customer_rfm
from tests.reference.kpi_daily import compute_kpi_daily
from tests.reference.targets import compute_target_tracking
from tests.support.paths import FIXTURES
from tests.support.warehouse import kpi_daily, new_settings, read_table, run_ok

CUSTOMERS_SHOP = FIXTURES / "customers_shop"
# batch days of the fixture: a history export and the latest day
CUSTOMERS_SHOP_DAYS = (date(2026, 1, 31), date(2026, 2, 10))


def _hash_key(settings) -> str:
    # the runs clear WAREHOUSE_HASH_KEY, so the pipeline used the key kept in the home
    return (settings.home / "hash_key").read_text().strip()


# --------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def customers_shop_run(tmp_path_factory):
    """The customers_shop fixture run once through the whole pipeline (default settings)."""
    settings = new_settings(tmp_path_factory.mktemp("customers_home"), CUSTOMERS_SHOP)
    run_ok(settings, *CUSTOMERS_SHOP_DAYS)
    return settings


def _rfm_mart(settings) -> pl.DataFrame:
    return read_table(settings.serving_db, "SELECT * FROM marts.customer_rfm ORDER BY customer_key")


def _cohort_mart(settings) -> pl.DataFrame:
    return read_table(settings.serving_db, "SELECT * FROM marts.cohort_retention ORDER BY cohort_month, month_offset")


def test_pipeline_customer_rfm_matches_the_reference(customers_shop_run):
    settings = customers_shop_run
    mart = _rfm_mart(settings)
    reference = compute_customer_rfm(settings.landing, _hash_key(settings))
    assert mart.height == 8
    assert frame_differences(mart, reference, ["customer_key"]) == []
    # never the clear id: every key is 64 hex digits and no customer id appears
    assert mart["customer_key"].str.contains("^[0-9a-f]{64}$").all()
    assert not set(mart["customer_key"]) & {f"c{i}" for i in range(1, 11)}


def test_pipeline_cohort_retention_matches_the_reference(customers_shop_run):
    settings = customers_shop_run
    mart = _cohort_mart(settings)
    assert mart.height == 28
    assert frame_differences(mart, compute_cohort_retention(settings.landing), ["cohort_month", "month_offset"]) == []


def test_a_shop_without_targets_publishes_an_empty_target_tracking(customers_shop_run):
    """customers_shop sends no plan/targets: target_tracking is published, empty, with its columns."""
    mart = read_table(customers_shop_run.serving_db, "SELECT * FROM marts.target_tracking")
    reference = compute_target_tracking(CUSTOMERS_SHOP)
    assert mart.columns == reference.columns and mart.height == reference.height == 0


def test_pipeline_customer_rfm_matches_the_reference_simulated(simulated_shop):
    mart = _rfm_mart(simulated_shop)
    reference = compute_customer_rfm(simulated_shop.landing, _hash_key(simulated_shop))
    assert mart.height > 5, "the simulated shop should have customers to score"
    assert frame_differences(mart, reference, ["customer_key"]) == []


def test_pipeline_cohort_retention_matches_the_reference_simulated(simulated_shop):
    mart = _cohort_mart(simulated_shop)
    # the simulated shop runs 2025-12-20 .. 2026-01-09: a December and a January cohort, and the
    # December cohort has a row for January (offset 1, across the year boundary)
    months = set(mart["cohort_month"])
    assert {date(2025, 12, 1), date(2026, 1, 1)} <= months
    assert mart.filter((pl.col("cohort_month") == date(2025, 12, 1)) & (pl.col("month_offset") == 1)).height == 1
    assert (
        frame_differences(mart, compute_cohort_retention(simulated_shop.landing), ["cohort_month", "month_offset"])
        == []
    )


# --------------------------------------------------------------------------- a partial last month

# November and the first 4 days of December 2025: December is a partial month, a 4-day month that
# the first edition read as a retention collapse.
PARTIAL_START, PARTIAL_DAYS = date(2025, 11, 1), 34
PARTIAL_LAST = PARTIAL_START + timedelta(days=PARTIAL_DAYS - 1)


@pytest.fixture(scope="module")
def partial_month_shop(tmp_path_factory):
    from simulator.simulate import simulate

    landing = tmp_path_factory.mktemp("partial_landing")
    simulate(landing, PARTIAL_START, PARTIAL_DAYS, scale="tiny", seed=5)
    settings = new_settings(tmp_path_factory.mktemp("partial_home"), landing)
    run_ok(settings, PARTIAL_START, PARTIAL_LAST)
    return settings


def test_a_four_day_december_is_marked_incomplete_not_a_collapse(partial_month_shop):
    settings = partial_month_shop
    assert date(2025, 12, 4) == PARTIAL_LAST
    mart = _cohort_mart(settings)
    november = mart.filter(pl.col("cohort_month") == date(2025, 11, 1))
    december_row = november.filter(pl.col("month_offset") == 1)
    # the November cohort's December: shown, with its (low, 4-day) retention, and marked
    assert december_row.height == 1 and december_row["is_complete"].to_list() == [False]
    assert november.filter(pl.col("month_offset") == 0)["is_complete"].to_list() == [True]
    assert mart.filter(pl.col("cohort_month") == date(2025, 12, 1))["is_complete"].to_list() == [False]
    # the lifetime-value curve never falls: each month adds revenue
    for _, cohort in mart.sort("month_offset").group_by("cohort_month"):
        curve = cohort["cumulative_revenue_per_customer"].to_list()
        assert curve == sorted(curve)
    assert frame_differences(mart, compute_cohort_retention(settings.landing), ["cohort_month", "month_offset"]) == []


def test_partial_month_rfm_is_as_of_the_last_complete_day(partial_month_shop):
    settings = partial_month_shop
    mart = _rfm_mart(settings)
    assert mart["as_of_date"].unique().to_list() == [PARTIAL_LAST]
    assert frame_differences(mart, compute_customer_rfm(settings.landing, _hash_key(settings)), ["customer_key"]) == []


def test_partial_month_kpi_daily_is_final_and_new_columns(partial_month_shop):
    settings = partial_month_shop
    got = kpi_daily(settings)
    # refund window 30 days: final up to 4 December - 30 days = 4 November
    final = got.filter("is_final")["date"].to_list()
    assert final and max(final) == date(2025, 11, 4) and min(got["date"]) in final
    assert got.filter(pl.col("date") > date(2025, 11, 4))["is_final"].to_list() == [False] * (PARTIAL_DAYS - 4)
    assert mismatches(got, as_expected(compute_kpi_daily(settings.landing))) == []


def test_partial_month_session_paths_mark_the_running_week(partial_month_shop):
    weeks = read_table(
        partial_month_shop.serving_db,
        "SELECT week_start, bool_and(is_complete) AS complete, bool_or(is_complete) AS any_complete "
        "FROM marts.session_paths GROUP BY week_start ORDER BY week_start",
    )
    # the week of Monday 1 December runs to Sunday 7 December: not complete on the 4th; every
    # earlier week is
    for row in weeks.iter_rows(named=True):
        expected = row["week_start"] + timedelta(days=6) <= PARTIAL_LAST
        assert row["complete"] == expected and row["any_complete"] == expected, row
    assert weeks["week_start"].to_list()[-1] == date(2025, 12, 1)
