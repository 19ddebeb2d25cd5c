"""The margin and campaign reference (tests/reference/margin.py) against the hand-worked numbers of
the `margin_shop` fixture (tests/fixtures/make_margin_shop.py describes it)."""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from tests.reference.margin import CAMPAIGN_COLUMNS, KPI_MARGIN_COLUMNS, compute_campaign_daily, compute_kpi_margin
from tests.reference.margin import order_lines as reference_order_lines
from tests.support.paths import FIXTURES

MARGIN_SHOP = FIXTURES / "margin_shop"
D5, D6 = date(2026, 3, 5), date(2026, 3, 6)


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, str):
        return got == want
    return math.isclose(float(got), float(want), abs_tol=1e-9)


def _check(row: dict, want: dict) -> list[str]:
    return [f"{c}: got {row[c]!r}, expected {v!r}" for c, v in want.items() if not _same(row[c], v)]


def test_unit_cost_is_the_version_in_effect_at_created_at():
    lines = {(r["order_id"], r["line_number"]): r for r in reference_order_lines(MARGIN_SHOP).iter_rows(named=True)}
    # pA costs 10 until 03-05 12:00 local and 12 from then on (same day as the orders)
    assert lines[("o1", 1)]["unit_cost"] == 10.0  # 09:00: before the change
    assert lines[("o2", 1)]["unit_cost"] == 12.0  # 12:00: exactly at it (updated_at <= created_at)
    assert lines[("o3", 1)]["unit_cost"] == 12.0  # 15:00: after it
    # pD's only version is written on 03-06, after its order of 03-05: the earliest version applies
    assert lines[("o5", 1)]["unit_cost"] == 5.0
    # pC costs 3 USD, at the order date's rate (7.2 from 03-05)
    assert math.isclose(lines[("o4", 1)]["unit_cost"], 21.6) and math.isclose(lines[("o4", 1)]["cost"], 43.2)
    # pB has no unit_cost, pX was never sent: no cost
    assert not lines[("o3", 2)]["has_cost"] and lines[("o3", 2)]["cost"] is None
    assert not lines[("o7", 2)]["has_cost"] and lines[("o7", 2)]["unit_cost"] is None


def test_kpi_margin_hand_worked():
    df = compute_kpi_margin(MARGIN_SHOP)
    assert tuple(df.columns) == KPI_MARGIN_COLUMNS
    rows = {r["date"]: r for r in df.iter_rows(named=True)}
    # 03-05, paid o1..o5: costed lines o1 pA (50, cost 20), o2 pA (25, 12), o3 pA (20, 12), o4 pC
    # (144, 43.2), o5 pD (15, 5): cogs 92.2, margin 161.8 over 254 of line revenue; o3's pB line
    # (30) has no cost: coverage 254 / 284. o6 is cancelled.
    assert (
        _check(rows[D5], {"cogs": 92.2, "gross_margin": 161.8, "margin_rate": 161.8 / 254, "cost_coverage": 254 / 284})
        == []
    )
    # 03-06: o7's lines (pB, pX) have no cost: cogs and margin null, coverage 0 (< 1)
    assert _check(rows[D6], {"cogs": None, "gross_margin": None, "margin_rate": None, "cost_coverage": 0.0}) == []


def test_campaign_daily_hand_worked():
    df = compute_campaign_daily(MARGIN_SHOP)
    assert tuple(df.columns) == CAMPAIGN_COLUMNS
    rows = {(r["date"], r["channel"], r["campaign"]): r for r in df.iter_rows(named=True)}
    assert set(rows) == {
        (D5, "paid_search", "spring"),
        (D5, "direct", "(none)"),
        (D5, "short_video", "dy_launch"),
        (D5, "paid_social", "ghost"),
        (D6, "email", "newsletter"),
    }
    # s1, s2 (spring) -> o1, o2: margin 30 + 13; spend 100
    assert (
        _check(
            rows[(D5, "paid_search", "spring")],
            {
                "sessions": 2,
                "attributed_orders": 2,
                "attributed_revenue": 75,
                "attributed_gross_margin": 43,
                "spend": 100,
            }
            | {"roas": 0.75, "poas": 0.43, "new_customers": 2, "cac": 50},
        )
        == []
    )
    # o3 has no session, o5's session s4 has no utm: direct / (none), margin 8 + 10
    assert (
        _check(
            rows[(D5, "direct", "(none)")],
            {
                "sessions": 1,
                "attributed_orders": 2,
                "attributed_gross_margin": 18,
                "spend": 0,
                "roas": None,
                "poas": None,
            },
        )
        == []
    )
    # a spend campaign no session carries: its spend, nothing attributed, margin and poas null
    assert (
        _check(
            rows[(D5, "paid_social", "ghost")],
            {"spend": 50, "sessions": 0, "attributed_orders": 0, "attributed_revenue": 0}
            | {"attributed_gross_margin": None, "roas": 0.0, "poas": None, "new_customers": 0, "cac": None},
        )
        == []
    )
    # 20 USD at 7.2; o4's margin 100.8
    assert _check(rows[(D5, "short_video", "dy_launch")], {"spend": 144, "poas": 0.7, "cac": 144}) == []
    # o7 (returning customer c1) has no costed line: margin null, poas null, no new customer
    assert (
        _check(
            rows[(D6, "email", "newsletter")],
            {"attributed_revenue": 70, "attributed_gross_margin": None, "poas": None, "new_customers": 0, "cac": None},
        )
        == []
    )


def test_a_shop_without_products_or_traffic_gives_empty_or_uncosted_results(tmp_path):
    (tmp_path / "shop").mkdir()
    assert compute_kpi_margin(tmp_path).height == 0
    assert compute_campaign_daily(tmp_path).height == 0
    orders_only = tmp_path / "orders_only"
    for entity in ("orders", "order_items"):
        src = MARGIN_SHOP / "shop" / entity
        for part in src.iterdir():
            dst = orders_only / "shop" / entity / part.name
            dst.mkdir(parents=True)
            for f in part.iterdir():
                (dst / f.name).write_bytes(f.read_bytes())
    fx = orders_only / "finance" / "fx_rates" / "dt=2026-03-05"
    fx.mkdir(parents=True)
    (fx / "fx_rates.csv").write_bytes((MARGIN_SHOP / "finance/fx_rates/dt=2026-03-05/fx_rates.csv").read_bytes())
    df = compute_kpi_margin(orders_only)
    assert df["cogs"].is_null().all() and (df["cost_coverage"] == 0).all()
    campaigns = compute_campaign_daily(orders_only)
    assert set(campaigns["channel"]) == {"direct"} and set(campaigns["campaign"]) == {"(none)"}
    assert campaigns.filter(pl.col("attributed_gross_margin").is_not_null()).height == 0
