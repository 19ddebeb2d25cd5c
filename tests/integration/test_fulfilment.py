"""Fulfilment, delivery and stock through the real pipeline: fulfilment_daily, inventory_daily,
product_health's stock columns and the `stockout` alerts against the independent reference
(tests/reference/fulfilment.py) on the hand-worked `fulfil_shop` fixture
(tests/fixtures/make_fulfil_shop.py) and on the simulated shop; the hand-worked cases of issue
17 with their numbers; a shop without inventory; and the simulator's planted truths (stock-outs
of top sellers, the late carrier's week, read from `_simulation.json`)."""

from __future__ import annotations

import json
import math
from datetime import date

import polars as pl
import pytest

from tests.reference.compare import frame_differences, same
from tests.reference.fulfilment import (
    compute_fulfilment_daily,
    compute_inventory_daily,
    compute_stockout_alerts,
    stock_as_of,
)
from tests.support.paths import FIXTURES
from tests.support.warehouse import new_settings, read_table, run_ok

FULFIL_SHOP = FIXTURES / "fulfil_shop"
FULFIL_SHOP_DAYS = (date(2026, 3, 5), date(2026, 3, 8))
D5, D6, D7, D8 = (date(2026, 3, d) for d in (5, 6, 7, 8))


@pytest.fixture(scope="module")
def fulfil_shop_run(tmp_path_factory):
    settings = new_settings(tmp_path_factory.mktemp("fulfil_home"), FULFIL_SHOP)
    run_ok(settings, *FULFIL_SHOP_DAYS)
    return settings


@pytest.fixture(scope="module", params=["fulfil_shop", "simulated_shop"])
def shop(request):
    return request.getfixturevalue("fulfil_shop_run" if request.param == "fulfil_shop" else "simulated_shop")


def _mart(settings, sql: str) -> pl.DataFrame:
    return read_table(settings.serving_db, sql)


# --------------------------------------------------------------------------- against the reference


def test_fulfilment_daily_matches_the_reference(shop):
    mart = _mart(shop, "SELECT * FROM marts.fulfilment_daily ORDER BY date, ship_country, carrier")
    assert mart.height > 0
    keys = ["date", "ship_country", "carrier"]
    assert frame_differences(mart, compute_fulfilment_daily(shop.landing), keys) == []


def test_inventory_daily_matches_the_reference(shop):
    columns = "date, product_id, title, category, on_hand, inbound, units_28d_avg, days_of_cover, stockout, low_stock"
    mart = _mart(shop, f"SELECT {columns} FROM marts.inventory_daily ORDER BY date, product_id")
    assert mart.height > 0
    assert frame_differences(mart, compute_inventory_daily(shop.landing), ["date", "product_id"]) == []


def test_product_health_stock_matches_the_reference(shop):
    health = _mart(
        shop, "SELECT product_id, as_of_date, on_hand, days_of_cover, stockout, low_stock FROM marts.product_health"
    )
    as_of = health["as_of_date"].max()
    want = {r["product_id"]: r for r in stock_as_of(shop.landing, as_of).iter_rows(named=True)}
    problems = []
    for row in health.iter_rows(named=True):
        expected = want.get(row["product_id"], dict.fromkeys(("on_hand", "days_of_cover", "stockout", "low_stock")))
        problems += [
            f"{row['product_id']} {c}: got {row[c]!r}, expected {expected[c]!r}"
            for c in ("on_hand", "days_of_cover", "stockout", "low_stock")
            if not same(row[c], expected[c])
        ]
    assert problems == []


def test_stockout_alerts_match_the_reference(shop):
    alerts = _mart(
        shop,
        "SELECT alert_date, entity, severity, metric_value, threshold FROM marts.risk_alerts "
        "WHERE alert_type = 'stockout' ORDER BY alert_date, entity",
    )
    assert frame_differences(alerts, compute_stockout_alerts(shop.landing), ["alert_date", "entity"]) == []


# --------------------------------------------------------------------------- hand-worked cases


def test_the_fulfil_shop_hand_worked_fulfilment(fulfil_shop_run):
    rows = {
        (r["date"], r["ship_country"], r["carrier"]): r
        for r in _mart(fulfil_shop_run, "SELECT * FROM marts.fulfilment_daily").iter_rows(named=True)
    }
    assert sorted(rows) == [
        (D5, "CN", "sf_express"),
        (D5, "CN", "zto_express"),
        (D5, "US", "unknown"),
        (D6, "CN", "unknown"),
    ]
    # o1: paid 09:00, shipped 13:00, delivered 19:00, all versions in batch 03-05; promise 03-07
    sf = rows[(D5, "CN", "sf_express")]
    assert (sf["paid_orders"], sf["shipped_orders"], sf["delivered_orders"]) == (1, 1, 1)
    assert (sf["handling_p50_hours"], sf["transit_p50_hours"], sf["on_time_rate"]) == (4.0, 6.0, 1.0)
    assert (sf["on_time_deliveries"], sf["promised_deliveries"]) == (1, 1)
    # o2: promise 03-06, delivered 03-07 00:30 local: late by one day across midnight; o4 has no
    # promise (out of the rate) and keeps the shipped version's carrier; handling 6 h and 22 h,
    # transit 32.5 h and 8 h; one completed late_delivery refund (r2 is only requested)
    zto = rows[(D5, "CN", "zto_express")]
    assert (zto["paid_orders"], zto["shipped_orders"], zto["delivered_orders"]) == (2, 2, 2)
    assert zto["on_time_rate"] == 0.0 and zto["late_delivery_refunds"] == 1
    assert (zto["on_time_deliveries"], zto["promised_deliveries"]) == (0, 1)
    assert math.isclose(zto["handling_p50_hours"], 14.0) and math.isclose(zto["handling_p90_hours"], 20.4)
    assert math.isclose(zto["transit_p50_hours"], 20.25) and math.isclose(zto["transit_p90_hours"], 30.05)
    # o3: paid, then cancelled: still a paid order of 03-05; no carrier -> unknown
    us = rows[(D5, "US", "unknown")]
    assert (us["paid_orders"], us["shipped_orders"], us["on_time_rate"]) == (1, 0, None)
    assert (us["on_time_deliveries"], us["promised_deliveries"]) == (0, 0)
    # o5 (created 03-05 23:30, paid 03-06 00:30 local) and o6 count on 03-06
    assert rows[(D6, "CN", "unknown")]["paid_orders"] == 2


def test_the_fulfil_shop_hand_worked_stock(fulfil_shop_run):
    inv = {
        (r["date"], r["product_id"]): r
        for r in _mart(fulfil_shop_run, "SELECT * FROM marts.inventory_daily").iter_rows(named=True)
    }
    # pA 03-05: 10 + 5 on hand, inbound 20 + none; 6 units sold (o2 2, o5 4; o3 cancelled): 6 / 28
    pa5 = inv[(D5, "pA")]
    assert (pa5["on_hand"], pa5["inbound"]) == (15, 20)
    assert math.isclose(pa5["units_28d_avg"], 6 / 28) and math.isclose(pa5["days_of_cover"], 70.0)
    # the 03-06 snapshot of w1 re-sent in batch 03-07 (8 -> 6): the later batch counts
    assert inv[(D6, "pA")]["on_hand"] == 11 and inv[(D6, "pA")]["inbound"] is None
    # pB out of stock on 03-06: a stock-out and low stock (0 days of cover)
    assert inv[(D6, "pB")]["stockout"] and inv[(D6, "pB")]["low_stock"]
    # pD at 0 on 03-06, inactive from 03-06 10:00: no stock-out; nothing sold: cover null, not low
    pd6 = inv[(D6, "pD")]
    assert (pd6["stockout"], pd6["days_of_cover"], pd6["low_stock"]) == (False, None, False)
    # pC is sold but never in inventory: no rows, and null stock in product_health
    assert not [k for k in inv if k[1] == "pC"]
    health = {
        r["product_id"]: r for r in _mart(fulfil_shop_run, "SELECT * FROM marts.product_health").iter_rows(named=True)
    }
    assert health["pC"]["as_of_date"] == D6
    assert [health["pC"][c] for c in ("on_hand", "days_of_cover", "stockout", "low_stock")] == [None] * 4
    assert (health["pA"]["on_hand"], health["pB"]["stockout"]) == (11, True)
    # pA, the best seller (150 CNY in the 28 days before), ends 03-07 and 03-08 with nothing
    alerts = _mart(fulfil_shop_run, "SELECT * FROM marts.risk_alerts WHERE alert_type = 'stockout' ORDER BY alert_date")
    assert alerts.select("alert_date", "entity", "severity").rows() == [(D7, "pA", "high"), (D8, "pA", "high")]
    assert alerts["explanation"][0] == (
        "Top seller Tea (pA) is out of stock: 0 units on hand at the end of the day, after 150 CNY of sales "
        "in the last 28 days (number 1 of 3 products that sold)"
    )


def test_a_shop_without_inventory_has_empty_stock(edge_shop_run):
    settings, _ = edge_shop_run
    inv = _mart(settings, "SELECT * FROM marts.inventory_daily")
    assert inv.height == 0 and "days_of_cover" in inv.columns
    health = _mart(settings, "SELECT on_hand, days_of_cover, stockout, low_stock FROM marts.product_health")
    assert health.height > 0 and all(health[c].null_count() == health.height for c in health.columns)
    assert _mart(settings, "SELECT * FROM marts.risk_alerts WHERE alert_type = 'stockout'").height == 0
    # orders without carriers or promises: every row's carrier is `unknown`, no on-time rate
    fulfilment = _mart(settings, "SELECT * FROM marts.fulfilment_daily")
    assert fulfilment.height > 0 and set(fulfilment["carrier"]) == {"unknown"}
    assert fulfilment["on_time_rate"].null_count() == fulfilment.height


# --------------------------------------------------------------------------- the simulator's truths


def _truths(settings) -> dict:
    return json.loads((settings.landing / "_simulation.json").read_text(encoding="utf-8"))["truths"]


def test_the_planted_stockouts_are_found(simulated_shop):
    """Every planted stock-out (the simulator's top sellers by expected revenue) is a `stockout`
    row on each of its days, and every `stockout` alert is an empty shelf of that day. Whether the
    alert fires also depends on the product's realised revenue rank over the days before, which a
    three-week tiny shop leaves to chance (bench/check_demo_shop.py checks the 90-day shop)."""
    planted = _truths(simulated_shop)["inventory"]["planted_stockouts"]
    assert planted, "the simulator planted no stock-out"
    inv = _mart(simulated_shop, "SELECT date, product_id, on_hand FROM marts.inventory_daily WHERE stockout")
    found_rows = set(inv.select("date", "product_id").rows())
    for stockout in planted:
        first, last = date.fromisoformat(stockout["first_day"]), date.fromisoformat(stockout["last_day"])
        for day in pl.date_range(first, last, eager=True).to_list():
            assert (day, stockout["product_id"]) in found_rows, (day, stockout)
    alerts = _mart(simulated_shop, "SELECT alert_date, entity FROM marts.risk_alerts WHERE alert_type = 'stockout'")
    empty = set(_mart(simulated_shop, "SELECT date, product_id FROM marts.inventory_daily WHERE on_hand = 0").rows())
    assert alerts.height > 0 and set(alerts.rows()) <= empty


def test_the_late_carrier_is_late_in_its_week(simulated_shop):
    logistics = _truths(simulated_shop)["logistics"]
    carrier, week = logistics["late_carrier"], {date.fromisoformat(d) for d in logistics["late_week"]}
    rows = _mart(
        simulated_shop,
        f"SELECT date, on_time_deliveries, promised_deliveries FROM marts.fulfilment_daily "
        f"WHERE carrier = '{carrier}' AND promised_deliveries > 0",
    ).with_columns(pl.col("date").is_in(list(week)).alias("in_week"))

    def rate(frame: pl.DataFrame) -> float:
        return float(frame["on_time_deliveries"].sum() / frame["promised_deliveries"].sum())

    # paid in the late week (parcels leave within hours): far below the carrier's other days
    in_week, other = rows.filter(pl.col("in_week")), rows.filter(~pl.col("in_week"))
    assert in_week.height > 0 and other.height > 0
    assert rate(in_week) < rate(other) - 0.3, (rate(in_week), rate(other))
    assert rate(in_week) < logistics["carriers"][carrier]["other_days"]["on_time_share"] - 0.3
