"""Margin and campaigns through the real pipeline: the margin columns of kpi_daily, product_daily,
product_health and channel_daily and the campaign_daily mart against the independent reference
(tests/reference/margin.py, tests/reference/products_coupons.py, tests/reference/channel_funnel.py)
on the hand-worked `margin_shop` fixture (tests/fixtures/make_margin_shop.py; the reference's own
hand-worked numbers: tests/unit/test_reference_margin.py) and on the simulated shop; and gross
margin through the semantic layer by product category against product_daily."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from tests.integration.test_semantic_layer import _metric_frames
from tests.reference.channel_funnel import compute_channel_daily
from tests.reference.compare import frame_differences, same
from tests.reference.margin import compute_campaign_daily, compute_kpi_margin
from tests.reference.products_coupons import compute_product_daily, compute_product_health
from tests.support.paths import FIXTURES
from tests.support.warehouse import new_settings, read_table, run_ok

MARGIN_SHOP = FIXTURES / "margin_shop"
MARGIN_SHOP_DAYS = (date(2026, 3, 5), date(2026, 3, 6))
D5, D6 = MARGIN_SHOP_DAYS
MARGIN_COLUMNS = ("cogs", "gross_margin", "margin_rate", "cost_coverage")


@pytest.fixture(scope="module")
def margin_shop_run(tmp_path_factory):
    settings = new_settings(tmp_path_factory.mktemp("margin_home"), MARGIN_SHOP)
    run_ok(settings, *MARGIN_SHOP_DAYS)
    return settings


@pytest.fixture(scope="module", params=["margin_shop", "simulated_shop"])
def shop(request):
    return request.getfixturevalue("margin_shop_run" if request.param == "margin_shop" else "simulated_shop")


def _mart(settings, sql: str) -> pl.DataFrame:
    return read_table(settings.serving_db, sql)


# --------------------------------------------------------------------------- against the reference


def test_kpi_daily_margin_matches_the_reference(shop):
    mart = _mart(shop, f"SELECT date, {', '.join(MARGIN_COLUMNS)} FROM marts.kpi_daily ORDER BY date")
    reference = {r["date"]: r for r in compute_kpi_margin(shop.landing).iter_rows(named=True)}
    assert reference, "no day with a paid line"
    problems = []
    for row in mart.iter_rows(named=True):
        # days without a paid line (traffic or tickets only) have every margin column null
        want = reference.pop(row["date"], dict.fromkeys(MARGIN_COLUMNS))
        problems += [
            f"{row['date']} {c}: got {row[c]!r}, expected {want[c]!r}"
            for c in MARGIN_COLUMNS
            if not same(row[c], want[c])
        ]
    assert problems == [] and reference == {}


def test_campaign_daily_matches_the_reference(shop):
    keys = ["date", "channel", "campaign"]
    mart = _mart(shop, "SELECT * FROM marts.campaign_daily ORDER BY date, channel, campaign")
    assert mart.height > 0
    assert frame_differences(mart, compute_campaign_daily(shop.landing), keys) == []


def test_channel_daily_matches_the_reference(shop):
    mart = _mart(shop, "SELECT * FROM marts.channel_daily ORDER BY date, channel")
    assert frame_differences(mart, compute_channel_daily(shop.landing), ["date", "channel"]) == []


def test_product_marts_match_the_reference_on_the_margin_shop(margin_shop_run):
    daily = _mart(margin_shop_run, "SELECT * FROM marts.product_daily ORDER BY date, product_id")
    assert frame_differences(daily, compute_product_daily(MARGIN_SHOP), ["date", "product_id"]) == []
    health = _mart(margin_shop_run, "SELECT * FROM marts.product_health ORDER BY product_id")
    assert frame_differences(health, compute_product_health(MARGIN_SHOP), ["product_id"]) == []


# --------------------------------------------------------------------------- hand-worked cases


def test_the_margin_shop_hand_worked_cases(margin_shop_run):
    kpis = {r["date"]: r for r in _mart(margin_shop_run, "SELECT * FROM marts.kpi_daily").iter_rows(named=True)}
    # the cost change at 12:00 on 03-05: o1 (09:00) at 10, o2 (12:00) and o3 (15:00) at 12
    assert float(kpis[D5]["cogs"]) == 92.2 and float(kpis[D5]["gross_margin"]) == 161.8
    assert math.isclose(kpis[D5]["cost_coverage"], 254 / 284)  # o3's pB line has no cost
    assert kpis[D6]["cogs"] is None and kpis[D6]["cost_coverage"] == 0.0  # nothing costed on 03-06
    pa = _mart(margin_shop_run, "SELECT * FROM marts.product_daily WHERE product_id = 'pA'").row(0, named=True)
    assert (pa["title"], float(pa["cogs"]), float(pa["gross_margin"])) == ("Green Tea", 44.0, 51.0)
    ghost = _mart(margin_shop_run, "SELECT * FROM marts.campaign_daily WHERE campaign = 'ghost'").row(0, named=True)
    assert (ghost["date"], ghost["channel"], float(ghost["spend"]), ghost["sessions"]) == (D5, "paid_social", 50.0, 0)
    assert ghost["attributed_gross_margin"] is None and ghost["poas"] is None and ghost["roas"] == 0.0


def test_the_simulated_shop_holds_margin_and_campaign_cases(simulated_shop):
    """What the simulated comparison above exercises (the simulator grows cost versions and richer
    campaigns; these hold on what it sends today)."""
    kpis = _mart(simulated_shop, "SELECT * FROM marts.kpi_daily WHERE cogs IS NOT NULL")
    assert kpis.height > 0 and (kpis["margin_rate"] > 0).all()
    campaigns = _mart(simulated_shop, "SELECT * FROM marts.campaign_daily")
    assert campaigns.filter(pl.col("spend") > 0).height > 0
    assert campaigns.filter(pl.col("campaign") != "(none)")["campaign"].n_unique() > 1
    assert campaigns.filter(pl.col("poas").is_not_null()).height > 0


# --------------------------------------------------------------------------- the semantic layer


def test_gross_margin_by_product_category_equals_product_daily(shop, tmp_path):
    frames = _metric_frames(
        shop,
        tmp_path,
        {
            "category": {"metrics": ["gross_margin", "cogs"], "group_by": ["metric_time__day", "product__category"]},
            "daily": {
                "metrics": ["cogs", "gross_margin", "margin_rate", "cost_coverage"],
                "group_by": ["metric_time__day"],
            },
        },
    )
    daily = _mart(shop, "SELECT date, category, cogs, gross_margin FROM marts.product_daily")
    expected = (
        daily.filter(pl.col("gross_margin").is_not_null())
        .group_by("date", "category")
        .agg(pl.col("gross_margin").cast(pl.Float64).sum(), pl.col("cogs").cast(pl.Float64).sum())
    )
    got = frames["category"].rename({"metric_time__day": "date", "product__category": "category"})
    got = got.filter(pl.col("gross_margin").is_not_null())
    joined = got.join(expected, on=["date", "category"], how="full", coalesce=True, nulls_equal=True, suffix="_mart")
    assert joined.height == got.height == expected.height > 0, joined
    # product_daily rounds each (date, product) to 4 places; MetricFlow sums the exact lines
    assert ((joined["gross_margin"] - joined["gross_margin_mart"]).abs() <= 0.001).all(), joined
    assert ((joined["cogs"] - joined["cogs_mart"]).abs() <= 0.001).all(), joined

    kpis = {r["date"]: r for r in _mart(shop, "SELECT * FROM marts.kpi_daily").iter_rows(named=True)}
    for row in frames["daily"].iter_rows(named=True):
        kpi = kpis[row["metric_time__day"]]
        for metric in ("cogs", "gross_margin", "margin_rate", "cost_coverage"):
            want, have = kpi[metric], row[metric]
            assert (want is None and have is None) or math.isclose(float(have), float(want), abs_tol=1e-4), (
                row["metric_time__day"],
                metric,
                have,
                want,
            )
