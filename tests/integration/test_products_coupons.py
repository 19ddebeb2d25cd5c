"""product_daily, product_health, coupon_performance and returns_daily: the independent reference
(tests/reference/products_coupons.py) against hand-worked numbers of the `product_shop` fixture,
and the real pipeline against the reference on that fixture and on the simulated shop.

The `product_shop` fixture (tests/fixtures/product_shop, batches 2026-03-30 and 2026-03-31, late
data for March) holds, in CNY unless said otherwise:

products  pA tea, launched 2026-02-28 23:59 local (15:59Z), active, never sold
          pB tea, launched 2026-03-01 00:30 local (2026-02-28 16:30Z: 02-28 in UTC!), active
          pC home, old, made inactive by the 03-31 batch
          pD tea -> drinks (03-31 batch), old, active
          pE home, pF home, pG tea: old, active; pX: sold but never sent by the products feed
orders    o1 03-01 paid: pE 2 x 40 = 80                                   (no coupon)
          o2 03-02 00:10 local (03-01 16:10Z) delivered, SPRING10, session s2: pD 2 x 50 - 10 = 90,
             pF 1 x 30 = 30; total 120, discount 10
          o3 03-15 paid, USD at 7.2, SPRING10, s3: pF 2 x 10 - 2 = 18 USD = 129.60; total 23 USD =
             165.60, discount 2 USD = 14.40
          o4 03-15 paid, then cancelled, SPRING10, s4: pD 1 x 50
          o8 03-15 paid, s7: pD 1 x 50 = 50                               (no coupon)
          o9 03-15 paid, SPRING10, s9: pD 1 x 50 - 5 = 45; total 45, discount 5
          o5 03-31 shipped, ' vip ' (trimmed: vip), s5: pD 1 x 50 - 5 = 45, pX 1 x 20 = 20; total 78
             (13 shipping), discount 5
          o6 03-31 paid, coupon '  ' (blank: no coupon), no session: pF 1 x 30 = 30; total 38
          o7 03-31 pending, s6: pG 1 x 25 (not sold)
refunds   r1 o2 pF 1 unit 30 completed; r2 o5 whole-order 78 completed; r3 o3 pF 1 unit 9 USD
          completed (= 64.80 at o3's rate); r4 o8 pD rejected; r5 o1 pE, no quantity, 40 completed;
          r6 o4 (cancelled order) pD 1 unit 50 completed
views     s2: pD 03-01 23:55, pF 03-02 00:05 (bought both in o2); s3: pF twice 03-15 (bought);
          s4: pD 03-15 (o4 cancelled); s7: pD, pG 03-15 (o8 holds pD); s5: pD 03-31 (bought; the
          event is re-sent as an exact duplicate); s6: pG 03-31 (o7 pending); s8: pF 03-31 and a
          product_view without product_id (o6 holds pF but names no session)
"""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from tests.reference.compare import TOLERANCE
from tests.reference.products_coupons import (
    COUPON_COLUMNS,
    PRODUCT_DAILY_COLUMNS,
    PRODUCT_HEALTH_COLUMNS,
    RETURNS_COLUMNS,
    WHOLE_ORDER,
    Shop,
    compute_coupon_performance,
    compute_product_daily,
    compute_product_health,
    compute_returns_daily,
)
from tests.support.paths import FIXTURES
from tests.support.warehouse import new_settings, read_table, run_ok

PRODUCT_SHOP = FIXTURES / "product_shop"
PRODUCT_SHOP_DAYS = (date(2026, 3, 30), date(2026, 3, 31))
D1, D2, D15, D31 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 15), date(2026, 3, 31)

MARTS = {
    "product_daily": (compute_product_daily, ["date", "product_id"]),
    "product_health": (compute_product_health, ["product_id"]),
    "coupon_performance": (compute_coupon_performance, ["date", "coupon_code"]),
    "returns_daily": (compute_returns_daily, ["date", "category", "reason"]),
}


def _row(df: pl.DataFrame, **keys) -> dict:
    rows = df.filter(*[pl.col(k) == v for k, v in keys.items()]).to_dicts()
    assert len(rows) == 1, (keys, rows)
    return rows[0]


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, bool) or isinstance(got, bool):
        return got == want
    if isinstance(want, (int, float)) or hasattr(want, "as_tuple"):
        return math.isclose(float(got), float(want), abs_tol=TOLERANCE)
    return got == want


def _check(row: dict, want: dict) -> list[str]:
    return [f"{c}: got {row[c]!r}, expected {v!r}" for c, v in want.items() if not _same(row[c], v)]


def _differences(actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> list[str]:
    assert tuple(actual.columns) == tuple(expected.columns), (actual.columns, expected.columns)
    got = {tuple(r[k] for k in keys): r for r in actual.iter_rows(named=True)}
    want = {tuple(r[k] for k in keys): r for r in expected.iter_rows(named=True)}
    problems = []
    if sorted(got) != sorted(want):
        problems.append(
            f"keys only in the mart {sorted(set(got) - set(want))[:5]}, "
            f"only in the reference {sorted(set(want) - set(got))[:5]}"
        )
    for key in sorted(set(got) & set(want)):
        for column in expected.columns:
            if not _same(got[key][column], want[key][column]):
                problems.append(f"{key} {column}: got {got[key][column]!r}, expected {want[key][column]!r}")
    return problems


# --------------------------------------------------------------------------- hand-worked numbers


def test_reference_product_daily_hand_worked():
    df = compute_product_daily(PRODUCT_SHOP)
    assert tuple(df.columns) == PRODUCT_DAILY_COLUMNS
    # 11 (date, product) rows with a sale, a view or a completed refund
    assert df.height == 11
    expected = {
        # 03-01 pE: o1 2 x 40 = 80. r5 has no quantity: it refunds every unit of pE on o1 (2), 40.
        (D1, "pE"): dict(
            category="home",
            units_sold=2,
            revenue=80.0,
            product_views=0,
            view_to_purchase_rate=None,
            refunded_units=2,
            refunded_amount=40.0,
        ),
        # 03-01 pD: s2 viewed it at 23:55 and bought it in o2 just after midnight (the sale counts
        # on 03-02, the view on 03-01): 1 / 1 sessions. Category: the 03-31 batch's 'drinks'.
        (D1, "pD"): dict(
            category="drinks",
            units_sold=0,
            revenue=0.0,
            product_views=1,
            view_to_purchase_rate=1.0,
            refunded_units=0,
            refunded_amount=0.0,
        ),
        # 03-02 pD: o2 2 x 50 - 10 = 90; no view that day -> rate null
        (D2, "pD"): dict(units_sold=2, revenue=90.0, product_views=0, view_to_purchase_rate=None),
        # 03-02 pF: o2 1 x 30; s2's view at 00:05 converted (1 / 1); item refund r1: 1 unit, 30
        (D2, "pF"): dict(
            units_sold=1,
            revenue=30.0,
            product_views=1,
            view_to_purchase_rate=1.0,
            refunded_units=1,
            refunded_amount=30.0,
        ),
        # 03-15 pD: o8 50 + o9 (50 - 5) 45 = 95, 2 units (o4 is cancelled: not sold). Views: s4
        # (its order o4 is cancelled: no purchase) and s7 (o8 holds pD): 1 / 2 = 0.5. Refunds: r6,
        # the completed refund of cancelled o4 (refunds count whatever the order status): 1 unit,
        # 50; r4 was rejected.
        (D15, "pD"): dict(
            units_sold=2,
            revenue=95.0,
            product_views=2,
            view_to_purchase_rate=0.5,
            refunded_units=1,
            refunded_amount=50.0,
        ),
        # 03-15 pF: o3 (2 x 10 - 2) = 18 USD x 7.2 = 129.60; s3 viewed twice and bought: 2 views,
        # rate 1 / 1. r3: 1 unit, 9 USD x 7.2 (o3's order date rate) = 64.80
        (D15, "pF"): dict(
            units_sold=2,
            revenue=129.6,
            product_views=2,
            view_to_purchase_rate=1.0,
            refunded_units=1,
            refunded_amount=64.8,
        ),
        # 03-15 pG: viewed in s7, which bought pD only: rate 0 / 1 = 0
        (D15, "pG"): dict(units_sold=0, revenue=0.0, product_views=1, view_to_purchase_rate=0.0),
        # 03-31 pD: o5 50 - 5 = 45; s5's view (sent twice, counted once) converted: 1 / 1.
        # Whole-order refund r2 (78) spread by o5's line revenue 45 : 20 -> pD 78 x 45 / 65 = 54,
        # with no refunded units.
        (D31, "pD"): dict(
            units_sold=1,
            revenue=45.0,
            product_views=1,
            view_to_purchase_rate=1.0,
            refunded_units=0,
            refunded_amount=54.0,
        ),
        # 03-31 pX: o5 1 x 20; r2's share 78 x 20 / 65 = 24; unknown to the products feed
        (D31, "pX"): dict(
            category=None,
            units_sold=1,
            revenue=20.0,
            product_views=0,
            view_to_purchase_rate=None,
            refunded_units=0,
            refunded_amount=24.0,
        ),
        # 03-31 pF: o6 30 (paid, but it names no session), s8 viewed pF: 0 / 1 = 0. s8's
        # product_view without product_id counts for no product.
        (D31, "pF"): dict(units_sold=1, revenue=30.0, product_views=1, view_to_purchase_rate=0.0),
        # 03-31 pG: s6 viewed it; its order o7 is pending: 0 / 1, no units sold
        (D31, "pG"): dict(units_sold=0, product_views=1, view_to_purchase_rate=0.0),
    }
    problems = []
    for (day, product), want in expected.items():
        problems += [f"{day} {product} {p}" for p in _check(_row(df, date=day, product_id=product), want)]
    assert problems == []
    # products never viewed, sold or refunded have no rows
    assert set(df["product_id"]) == {"pD", "pE", "pF", "pG", "pX"}


def test_reference_product_health_hand_worked():
    df = compute_product_health(PRODUCT_SHOP)
    assert tuple(df.columns) == PRODUCT_HEALTH_COLUMNS
    # D = 03-31, the latest order date (o5, o6, o7); the 30 days are 03-02 .. 03-31.
    assert df["as_of_date"].unique().to_list() == [D31]
    # every product of the feed plus pX (sold in the window, unknown to the feed)
    assert df["product_id"].to_list() == ["pA", "pB", "pC", "pD", "pE", "pF", "pG", "pX"]
    expected = {
        # launched 02-28 23:59 local: D - 02-28 = 31 days > 30, active, nothing sold -> slow
        "pA": dict(
            units_30d=0, revenue_30d=0.0, return_rate_30d=None, slow_mover=True, launched_date=date(2026, 2, 28)
        ),
        # launched 03-01 00:30 local (02-28 in UTC): exactly 30 days, not more -> not slow
        "pB": dict(units_30d=0, slow_mover=False, launched_date=D1),
        # inactive in its latest state -> not slow
        "pC": dict(units_30d=0, slow_mover=False, is_active=False),
        # o2 2 (03-02, first day of the window) + o8 1 + o9 1 + o5 1 = 5 units (o4 cancelled);
        # 90 + 50 + 45 + 45 = 230. Item refunds: r6 1 unit (o4, 03-15; r4 rejected) -> 1 / 5 = 0.2.
        "pD": dict(category="drinks", units_30d=5, revenue_30d=230.0, return_rate_30d=0.2, slow_mover=False),
        # sold only on 03-01 = D - 30, outside (D - 30, D]: 0 units, slow (r5 is outside too)
        "pE": dict(units_30d=0, revenue_30d=0.0, return_rate_30d=None, slow_mover=True),
        # o2 1 + o3 2 + o6 1 = 4 units, 30 + 129.60 + 30 = 189.60; item refunds r1 + r3 = 2 -> 0.5
        "pF": dict(units_30d=4, revenue_30d=189.6, return_rate_30d=0.5, slow_mover=False),
        # viewed, but its only order (o7) is pending -> 0 units, slow
        "pG": dict(units_30d=0, slow_mover=True),
        # 1 unit, 20; r2 is whole-order (no units): 0 / 1 = 0; unknown to the feed -> not slow
        "pX": dict(
            category=None,
            units_30d=1,
            revenue_30d=20.0,
            return_rate_30d=0.0,
            slow_mover=False,
            launched_date=None,
            is_active=False,
        ),
    }
    problems = []
    for product, want in expected.items():
        problems += [f"{product} {p}" for p in _check(_row(df, product_id=product), want)]
    assert problems == []


def test_reference_coupon_performance_hand_worked():
    df = compute_coupon_performance(PRODUCT_SHOP)
    assert tuple(df.columns) == COUPON_COLUMNS
    assert df.select("date", "coupon_code").rows() == [(D2, "SPRING10"), (D15, "SPRING10"), (D31, "vip")]
    expected = {
        # o2 alone: 120, discount 10, refunded (r1) -> share 1; no paid order without coupon on
        # 03-02 -> no_coupon_aov null
        (D2, "SPRING10"): dict(orders=1, revenue=120.0, discount=10.0, aov=120.0, refund_share=1.0, no_coupon_aov=None),
        # o3 165.60 (refunded by r3) + o9 45 = 210.60, discount 14.40 + 5 = 19.40, aov 105.30,
        # share 1 / 2 (o4 is cancelled: not a coupon order, though refunded). Without coupon: o8 50.
        (D15, "SPRING10"): dict(
            orders=2, revenue=210.6, discount=19.4, aov=105.3, refund_share=0.5, no_coupon_aov=50.0
        ),
        # ' vip ' trimmed: o5 78, discount 5, whole-order refund r2 -> 1. Without coupon: o6 (blank
        # code) 38; o7 is pending.
        (D31, "vip"): dict(orders=1, revenue=78.0, discount=5.0, aov=78.0, refund_share=1.0, no_coupon_aov=38.0),
    }
    problems = []
    for (day, code), want in expected.items():
        problems += [f"{day} {code} {p}" for p in _check(_row(df, date=day, coupon_code=code), want)]
    assert problems == []


def test_reference_returns_daily_hand_worked():
    df = compute_returns_daily(PRODUCT_SHOP)
    assert tuple(df.columns) == RETURNS_COLUMNS
    # completed refunds r1, r2, r3, r5, r6 (r4 was rejected), one row each here
    expected = {
        # r5 (o1, pE home, defective) has no quantity: every pE unit on o1 = 2, 40. Home sold on
        # 03-01: o1's 2 pE -> 2 / 2
        (D1, "home", "defective"): dict(
            refunds=1, refunded_units=2, refunded_amount=40.0, units_sold=2, return_rate=1.0
        ),
        # r1 (o2 on 03-02, pF home): 1 unit, 30; home sold 03-02: o2's pF 1 (its pD is drinks)
        (D2, "home", "defective"): dict(
            refunds=1, refunded_units=1, refunded_amount=30.0, units_sold=1, return_rate=1.0
        ),
        # r3 (o3, pF): 1 unit, 9 USD x 7.2 = 64.80; home sold 03-15: o3's 2 pF -> 0.5
        (D15, "home", "wrong_item"): dict(
            refunds=1, refunded_units=1, refunded_amount=64.8, units_sold=2, return_rate=0.5
        ),
        # r6 refunds cancelled o4's pD (drinks in the latest products batch; refunds count whatever
        # the order's status): 1 unit, 50; drinks sold 03-15: o8 1 + o9 1 (o4 is cancelled)
        (D15, "drinks", "other"): dict(
            refunds=1, refunded_units=1, refunded_amount=50.0, units_sold=2, return_rate=0.5
        ),
        # r2, whole order o5: its whole 78 (shipping included, not spread); units: o5's lines 1 + 1
        (D31, WHOLE_ORDER, "late_delivery"): dict(
            refunds=1, refunded_units=2, refunded_amount=78.0, units_sold=None, return_rate=None
        ),
    }
    assert df.height == len(expected)
    problems = []
    for (day, category, reason), want in expected.items():
        problems += [
            f"{day} {category} {reason} {p}" for p in _check(_row(df, date=day, category=category, reason=reason), want)
        ]
    assert problems == []


# --------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def product_shop_run(tmp_path_factory):
    """The product_shop fixture through the whole pipeline, once for this module."""
    settings = new_settings(tmp_path_factory.mktemp("product_shop_home"), PRODUCT_SHOP)
    run_ok(settings, *PRODUCT_SHOP_DAYS)
    return settings


def _mart(settings, name: str, keys: list[str]) -> pl.DataFrame:
    return read_table(settings.serving_db, f"SELECT * FROM marts.{name} ORDER BY {', '.join(keys)}")


@pytest.mark.parametrize("name", sorted(MARTS))
def test_pipeline_matches_the_reference_on_the_product_shop(product_shop_run, name):
    compute, keys = MARTS[name]
    mart = _mart(product_shop_run, name, keys)
    assert mart.height > 0
    assert _differences(mart, compute(PRODUCT_SHOP), keys) == []


@pytest.mark.parametrize("name", sorted(MARTS))
def test_pipeline_matches_the_reference_on_the_simulated_shop(simulated_shop, name):
    compute, keys = MARTS[name]
    mart = _mart(simulated_shop, name, keys)
    assert mart.height > 0
    assert _differences(mart, compute(simulated_shop.landing), keys) == []


def test_the_simulated_shop_holds_the_product_cases(simulated_shop):
    """The comparison above is only as good as the cases the simulated shop contains."""
    shop = Shop(simulated_shop.landing, simulated_shop.tz, simulated_shop.base_currency)
    refunds = shop.product_refunds()
    assert refunds.filter("is_whole_order").height > 0 and refunds.filter(~pl.col("is_whole_order")).height > 0
    assert shop.orders.filter(pl.col("is_paid") & pl.col("coupon").is_not_null()).height > 0
    assert shop.orders.filter(pl.col("currency") != simulated_shop.base_currency).height > 0
    daily = _mart(simulated_shop, "product_daily", ["date", "product_id"])
    # viewed but not sold that day, and views that converted
    assert daily.filter((pl.col("units_sold") == 0) & (pl.col("product_views") > 0)).height > 0
    assert daily.filter(pl.col("view_to_purchase_rate") > 0).height > 0
    health = _mart(simulated_shop, "product_health", ["product_id"])
    assert health.filter("slow_mover").height > 0 and health.filter(~pl.col("is_active")).height > 0
    # returns: whole-order and item refunds, several reasons, a category with returns on a day
    returns = _mart(simulated_shop, "returns_daily", ["date", "category", "reason"])
    assert returns.filter(pl.col("category") == WHOLE_ORDER).height > 0
    assert returns.filter(pl.col("return_rate") > 0).height > 0 and returns["reason"].n_unique() > 2
