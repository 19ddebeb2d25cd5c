"""channel_daily and funnel_daily: the independent reference (tests/reference/channel_funnel.py)
against hand-worked numbers of the `edge_shop` fixture, and the real pipeline against the
reference."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from tests.reference.channel_funnel import (
    CHANNEL_COLUMNS,
    FUNNEL_COLUMNS,
    compute_channel_daily,
    compute_funnel_daily,
    session_channel,
    url_host,
)
from tests.reference.compare import TOLERANCE
from tests.support.warehouse import EDGE_SHOP, read_table

D1, D2, D3, D4 = (date(2026, 3, d) for d in (1, 2, 3, 4))


def _row(df: pl.DataFrame, **keys) -> dict:
    rows = df.filter(*[pl.col(k) == v for k, v in keys.items()]).to_dicts()
    assert len(rows) == 1, (keys, rows)
    return rows[0]


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, (int, float)) or hasattr(want, "as_tuple"):
        return math.isclose(float(got), float(want), abs_tol=TOLERANCE)
    return got == want


def _differences(actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> list[str]:
    assert tuple(actual.columns) == tuple(expected.columns), (actual.columns, expected.columns)
    got = {tuple(r[k] for k in keys): r for r in actual.iter_rows(named=True)}
    want = {tuple(r[k] for k in keys): r for r in expected.iter_rows(named=True)}
    problems = []
    if sorted(got) != sorted(want):
        problems.append(f"keys {sorted(got)} != expected {sorted(want)}")
    for key in sorted(set(got) & set(want)):
        for column in expected.columns:
            if not _same(got[key][column], want[key][column]):
                problems.append(f"{key} {column}: got {got[key][column]!r}, expected {want[key][column]!r}")
    return problems


# --------------------------------------------------------------------------- the channel rules


@pytest.mark.parametrize(
    ("medium", "source", "referrer", "page_url", "channel"),
    [
        ("CPC", None, None, None, "paid_search"),
        (None, "TikTok", None, None, "short_video"),
        ("email", None, "https://www.baidu.com/", "https://shop.example.cn/", "email"),  # first match wins
        (None, None, "https://www.baidu.com/s?wd=tea", "https://shop.example.cn/", "organic_search"),
        (None, None, "https://notbaidu.com/", "https://shop.example.cn/", "referral"),
        (None, None, "https://shop.example.cn/", "https://shop.example.cn/p/1", "direct"),  # internal
        ("", "", "", "", "direct"),
    ],
)
def test_reference_channel_rules(medium, source, referrer, page_url, channel):
    assert session_channel(medium, source, referrer, page_url) == channel


def test_reference_url_host():
    assert url_host("https://user@WWW.Google.com:443/search?q=1") == "www.google.com"
    assert url_host("  ") is None


# --------------------------------------------------------------------------- hand-worked numbers


def test_reference_channel_daily_hand_worked():
    df = compute_channel_daily(EDGE_SHOP)
    assert tuple(df.columns) == CHANNEL_COLUMNS
    # 2026-03-01 paid_search: session s1 (utm_medium cpc; its baidu referrer is not reached).
    # Spend: the 03-02 batch re-sends (03-01, paid_search, spring_cpc) as 125.00 CNY, 1000
    # impressions, 52 clicks, replacing the 03-01 batch's 120.00 / 50. Order o1 (session s1,
    # paid) 98.00 CNY; c1's first paid order -> 1 new customer.
    #   roas = 98 / 125 = 0.784; cac = 125 / 1 = 125; ctr = 52 / 1000 = 0.052; cpc = 125 / 52 = 2.4038
    row = _row(df, date=D1, channel="paid_search")
    assert (row["sessions"], row["attributed_orders"], row["new_customers"]) == (1, 1, 1)
    for column, want in {
        "attributed_revenue": 98.0,
        "spend": 125.0,
        "roas": 0.784,
        "cac": 125.0,
        "ctr": 0.052,
        "cpc": 125 / 52,
        "conversion_rate": 1.0,
    }.items():
        assert _same(row[column], want), (column, row[column])
    # 2026-03-01 paid_social: s3 (utm_medium paid_social, app). Spend 15.00 USD at 7.10 = 106.50;
    # o3 27.50 USD at 7.10 = 195.25. roas = 195.25 / 106.5 = 1.8333; cpc = 106.5 / 10 = 10.65
    row = _row(df, date=D1, channel="paid_social")
    for column, want in {
        "attributed_revenue": 195.25,
        "spend": 106.5,
        "roas": 195.25 / 106.5,
        "cpc": 10.65,
        "ctr": 10 / 500,
    }.items():
        assert _same(row[column], want), (column, row[column])
    # 2026-03-01 direct: s4 (no utm, no referrer) -> direct; o2 (session s4) 35.00 and o4 (no
    # session_id -> direct) 50.00: 2 orders, 85.00; first paid orders of c2 and c4 -> 2 new
    # customers; no spend -> roas null (0 denominator), cac = 0 / 2 = 0, ctr / cpc null.
    row = _row(df, date=D1, channel="direct")
    assert (row["sessions"], row["attributed_orders"], row["new_customers"]) == (1, 2, 2)
    assert _same(row["attributed_revenue"], 85.0) and _same(row["cac"], 0.0)
    assert row["roas"] is None and row["ctr"] is None and row["cpc"] is None
    # 2026-03-01 organic_search: s2, referrer www.baidu.com (matches baidu.com), no purchase.
    row = _row(df, date=D1, channel="organic_search")
    assert (row["sessions"], row["attributed_orders"]) == (1, 0) and _same(row["conversion_rate"], 0.0)
    # 2026-03-02 referral: s8, referrer www.zhihu.com (no rule) -> referral.
    assert _row(df, date=D2, channel="referral")["sessions"] == 1
    # 2026-03-02 direct: s6 (purchase, o6 cancelled -> not attributed) and s7: conversion 1 / 2;
    # visitors a1, a6 and a4 (s4's event after local midnight) = 3.
    row = _row(df, date=D2, channel="direct")
    assert (row["sessions"], row["visitors"], row["attributed_orders"]) == (2, 3, 0)
    assert _same(row["conversion_rate"], 0.5)
    # 2026-03-04: only spend (paid_search 90.00, 30 clicks) -> a row with spend and no sessions.
    row = _row(df, date=D4, channel="paid_search")
    assert row["sessions"] == 0 and row["conversion_rate"] is None and _same(row["cpc"], 3.0)


def test_reference_funnel_daily_hand_worked():
    df = compute_funnel_daily(EDGE_SHOP)
    assert tuple(df.columns) == FUNNEL_COLUMNS
    # 2026-03-02 web / desktop: s6 (page_view, purchase) and s8 (product_view): sessions 2,
    # reached_product 1, purchased 1: product_rate = 1 / 2; cart_rate = 0 / 1 = 0;
    # checkout_rate = 0 / 0 -> null; purchase_rate = 1 / 0 -> null.
    row = _row(df, date=D2, platform="web", device_type="desktop")
    assert (row["sessions"], row["reached_product"], row["reached_cart"], row["purchased"]) == (2, 1, 0, 1)
    assert _same(row["product_rate"], 0.5) and _same(row["cart_rate"], 0.0)
    assert row["checkout_rate"] is None and row["purchase_rate"] is None
    # 2026-03-01 mini_program / mobile: s4 starts 23:58 local on 03-01 (add_to_cart, purchase,
    # no product_view): product_rate 0 / 1 = 0, cart_rate 1 / 0 -> null, checkout_rate 0 / 1 = 0.
    row = _row(df, date=D1, platform="mini_program", device_type="mobile")
    assert (row["sessions"], row["reached_cart"], row["purchased"]) == (1, 1, 1)
    assert _same(row["product_rate"], 0.0) and row["cart_rate"] is None and _same(row["checkout_rate"], 0.0)
    # 2026-03-01 web / desktop: s1 has every step: all rates 1.
    row = _row(df, date=D1, platform="web", device_type="desktop")
    assert all(_same(row[c], 1.0) for c in ("product_rate", "cart_rate", "checkout_rate", "purchase_rate"))
    # 11 sessions in all: 4 on 03-01 (s1..s4), 4 on 03-02 (s5..s8), 3 on 03-03 (s9..s11)
    assert df.group_by("date").agg(pl.col("sessions").sum()).sort("date")["sessions"].to_list() == [4, 4, 3]


# --------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def channel_funnel_run(edge_shop_run):
    return edge_shop_run[0]


def test_pipeline_channel_daily_matches_the_reference(channel_funnel_run):
    mart = read_table(channel_funnel_run.serving_db, "SELECT * FROM marts.channel_daily ORDER BY date, channel")
    assert _differences(mart, compute_channel_daily(EDGE_SHOP), ["date", "channel"]) == []


def test_pipeline_funnel_daily_matches_the_reference(channel_funnel_run):
    mart = read_table(
        channel_funnel_run.serving_db, "SELECT * FROM marts.funnel_daily ORDER BY date, platform, device_type"
    )
    assert _differences(mart, compute_funnel_daily(EDGE_SHOP), ["date", "platform", "device_type"]) == []
