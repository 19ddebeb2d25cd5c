"""customer_rfm and cohort_retention: the rules of the independent reference
(tests/reference/customers.py) and its numbers against those worked out by hand on the
`customers_shop` fixture. The pipeline against the reference: tests/integration/test_customers_marts.py."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest

from tests.reference.customers import (
    COHORT_COLUMNS,
    RFM_COLUMNS,
    age_band,
    compute_cohort_retention,
    compute_customer_rfm,
    customer_key,
    frequency_score,
    percent_ranks,
    quintile_score,
    segment,
)
from tests.support.paths import FIXTURES

CUSTOMERS_SHOP = FIXTURES / "customers_shop"
HAND_KEY = "hand-worked-key"


# --------------------------------------------------------------------------- the rules themselves


def test_customer_key_is_the_keyed_sha256():
    # sha256 of the text "k:c1", from `printf 'k:c1' | sha256sum`
    assert customer_key("c1", "k") == "f54cbe72d6bdb069b4165cb6241635cda685da4decc489cbe5de56d74c80a585"
    assert customer_key("c1", "k2") != customer_key("c1", "k")


@pytest.mark.parametrize(
    ("r", "f", "m", "expected"),
    [
        # second edition, each rule at its boundary, first match wins
        (4, 4, 4, "champions"),
        (4, 4, 3, "loyal"),  # M one short of champions
        (3, 4, 4, "loyal"),  # R one short
        (4, 3, 4, "loyal"),  # F one short
        (3, 3, 1, "loyal"),
        (2, 3, 5, "at_risk"),  # R one short of loyal
        (3, 2, 5, "potential"),  # F one short of loyal, R too high for at_risk
        (2, 2, 1, "at_risk"),
        (1, 5, 5, "at_risk"),  # a lapsed best customer: the first edition called it loyal
        (4, 1, 1, "new"),
        (3, 1, 5, "potential"),  # F=1 but R=3: not new, not hibernating
        (2, 1, 5, "hibernating"),
        (1, 1, 1, "hibernating"),
        (5, 2, 5, "potential"),
    ],
)
def test_reference_segment_rules(r, f, m, expected):
    assert segment(r, f, m) == expected


@pytest.mark.parametrize(("orders", "score"), [(1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 5), (40, 5)])
def test_reference_frequency_on_fixed_counts(orders, score):
    assert frequency_score(orders) == score


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [(2002, "<25"), (2001, "25-34"), (1992, "25-34"), (1991, "35-44"), (1982, "35-44"), (1981, "45-54")]
    + [(1972, "45-54"), (1971, "55+"), (1930, "55+"), (None, "unknown")],
)
def test_reference_age_band_at_2026(birth_year, band):
    assert age_band(birth_year, date(2026, 2, 10)) == band


def test_reference_quintile_edges():
    higher = lambda a, b: a > b  # noqa: E731
    # a lone customer: percent_rank 0 -> 1
    assert [quintile_score(p) for p in percent_ranks([7], higher)] == [1]
    # three customers: 0, 0.5, 1 -> 1, 1 + floor(2.5) = 3, 5
    assert [quintile_score(p) for p in percent_ranks([10, 20, 30], higher)] == [1, 3, 5]
    # six: exactly 0, .2, .4, .6, .8, 1 -> 5 × percent_rank = 0..5 -> 1, 2, 3, 4, 5, least(5, 6) = 5
    assert [quintile_score(p) for p in percent_ranks([1, 2, 3, 4, 5, 6], higher)] == [1, 2, 3, 4, 5, 5]
    # eleven: k / 10 -> 1 + floor(k / 2), capped
    assert [quintile_score(p) for p in percent_ranks(list(range(11)), higher)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5]
    # ties take the lowest rank: (1, 1, 2, 2, 3) -> ranks 1, 1, 3, 3, 5 -> 0, 0, .5, .5, 1 -> 1, 1, 3, 3, 5
    assert [quintile_score(p) for p in percent_ranks([1, 1, 2, 2, 3], higher)] == [1, 1, 3, 3, 5]


# --------------------------------------------------------------------------- hand-worked numbers


def _by_customer(rfm: pl.DataFrame, key: str) -> dict[str, dict]:
    rows = {r["customer_key"]: r for r in rfm.iter_rows(named=True)}
    return {f"c{i}": rows[customer_key(f"c{i}", key)] for i in range(1, 11) if customer_key(f"c{i}", key) in rows}


def test_reference_customer_rfm_hand_worked():
    rfm = compute_customer_rfm(CUSTOMERS_SHOP, HAND_KEY)
    assert tuple(rfm.columns) == RFM_COLUMNS
    # D = the last complete day 2026-02-10 (the latest dt= folder). Window: order dates
    # 2025-02-11 .. 2026-02-10.
    assert rfm["as_of_date"].unique().to_list() == [date(2026, 2, 10)]
    # c7 has no paid order (o16 cancelled, o17 pending); c10's only paid order (o15, 2025-02-10
    # = D − 365) is out of the window: 8 customers.
    rows = _by_customer(rfm, HAND_KEY)
    assert sorted(rows) == ["c1", "c2", "c3", "c4", "c5", "c6", "c8", "c9"]
    # recency / frequency / monetary:
    #   c1: o01 12-15 100, o02 2025-12-31T16:30Z = 01-01 local 50, o03 02-09 150 -> 1 / 3 / 300
    #   c2: o04 12-31 80, o05 01-20 80 -> 21 / 2 / 160
    #   c3: o06 01-05, 20.00 USD at the 2025-01-01 rate 7.0 (7.2 starts 01-06) -> 36 / 1 / 140
    #   c4: o07 02-09 60 -> 1 / 1 / 60
    #   c5: o08 2025-02-10 (out), o09 2025-02-10T16:30Z = 02-11 local 40 (in) -> 364 / 1 / 40
    #   c6: o10 12-15 100; o11 was paid, re-sent cancelled (latest state) -> 57 / 1 / 100
    #   c8: o12 01-10 pending, re-sent paid -> 31 / 1 / 140
    #   c9: o13 2025-06-01 30, o14 2025-07-01 30 -> 224 / 2 / 60
    # n = 8, percent_rank = (rank − 1) / 7, score = min(5, 1 + floor(5 (rank − 1) / 7)):
    #   rank 1 -> 1, 2 -> 1, 3 -> 2, 4 -> 3, 5 -> 3, 6 -> 4, 7 -> 5, 8 -> 5
    # R (most days first): c5 364 (1), c9 224 (2), c6 57 (3), c3 36 (4), c8 31 (5), c2 21 (6),
    #   c1 = c4 = 1 day (7, tie)                      -> 1, 1, 2, 3, 3, 4, 5, 5
    # F on fixed counts: c3 c4 c5 c6 c8 one order -> 1; c2 c9 two -> 2; c1 three -> 3
    # M (lowest first): c5 40 (1) -> 1; c4 = c9 60 (2, tie) -> 1; c6 100 (4) -> 3;
    #   c3 = c8 140 (5, tie across currencies) -> 3; c2 160 (7) -> 5; c1 300 (8) -> 5
    # segments: c1 5/3/5 loyal (R≥3 F≥3; three orders are not champions); c2 4/2/5 potential
    #   (two orders: not loyal, too recent for at_risk); c9 1/2/1 at_risk (a repeat buyer gone
    #   224 days); c4 5/1/1 new; c5 1/1/1 and c6 2/1/3 hibernating; c3 and c8 3/1/3 potential
    # who (latest version of shop/customers, age = 2026 - birth_year):
    #   c1 1991 -> 35, region Zhejiang (re-sent 02-09); c2 2002 -> 24, no region; c3 2001 -> 25,
    #   moved to US / CA (re-sent 02-05); c4 1992 -> 34; c5 1982 -> 44; c6 1981 -> 45, its
    #   later-batch row is an older version (updated 2025-12-01) and loses: Shanghai; c8 no
    #   birth year; c9 1971 -> 55
    expected = {
        "c1": (1, 3, 300.0, 5, 3, 5, "loyal", "35-44", "CN", "Zhejiang"),
        "c2": (21, 2, 160.0, 4, 2, 5, "potential", "<25", "CN", None),
        "c3": (36, 1, 140.0, 3, 1, 3, "potential", "25-34", "US", "CA"),
        "c4": (1, 1, 60.0, 5, 1, 1, "new", "25-34", "CN", "Beijing"),
        "c5": (364, 1, 40.0, 1, 1, 1, "hibernating", "35-44", "CN", "Shanghai"),
        "c6": (57, 1, 100.0, 2, 1, 3, "hibernating", "45-54", "CN", "Shanghai"),
        "c8": (31, 1, 140.0, 3, 1, 3, "potential", "unknown", "CN", "Shanghai"),
        "c9": (224, 2, 60.0, 1, 2, 1, "at_risk", "55+", "CN", "Shanghai"),
    }
    columns = RFM_COLUMNS[2:]
    for customer, want in expected.items():
        got = tuple(rows[customer][c] for c in columns)
        assert got == want, (customer, got, want)
    # Σ frequency = the 12 paid orders dated in the window (14 paid orders in all, minus o08, o15)
    assert rfm["frequency"].sum() == 12


def test_reference_cohort_retention_hand_worked():
    cohorts = compute_cohort_retention(CUSTOMERS_SHOP)
    assert tuple(cohorts.columns) == COHORT_COLUMNS
    # last month with data: 2026-02 (the latest order date, 02-10; also the last complete day).
    # Cohorts (month of the first paid order):
    #   2025-02: c5 (o08), c10 (o15)        size 2; k = 0..12; active only at k = 0 (o09 is
    #            02-11 local, still February)
    #   2025-06: c9                         size 1; k = 0..8; active k = 0 (o13), 1 (o14)
    #   2025-12: c1 (o01), c2 (o04 = 12-31 23:50 local), c6 (o10)   size 3; k = 0..2:
    #            k0 3 / 3; k1 (January: c1's o02 at 00:30 local on 01-01, c2's o05) 2 / 3;
    #            k2 (February: c1's o03) 1 / 3
    #   2026-01: c3 (o06), c8 (o12, paid in the later batch)        size 2; k0 2 / 2, k1 0
    #   2026-02: c4 (o07)                   size 1; k0 1
    expected = {
        (date(2025, 2, 1), 0): (2, 2, 1.0),
        **{(date(2025, 2, 1), k): (2, 0, 0.0) for k in range(1, 13)},
        (date(2025, 6, 1), 0): (1, 1, 1.0),
        (date(2025, 6, 1), 1): (1, 1, 1.0),
        **{(date(2025, 6, 1), k): (1, 0, 0.0) for k in range(2, 9)},
        (date(2025, 12, 1), 0): (3, 3, 1.0),
        (date(2025, 12, 1), 1): (3, 2, 2 / 3),
        (date(2025, 12, 1), 2): (3, 1, 1 / 3),
        (date(2026, 1, 1), 0): (2, 2, 1.0),
        (date(2026, 1, 1), 1): (2, 0, 0.0),
        (date(2026, 2, 1), 0): (1, 1, 1.0),
    }
    got = {
        (r["cohort_month"], r["month_offset"]): (r["cohort_size"], r["active_customers"], r["retention"])
        for r in cohorts.iter_rows(named=True)
    }
    # revenue per month and the lifetime-value curve (cumulative revenue / cohort size):
    #   2025-02: o08 200 + o09 40 + o15 60 = 300 at k0 -> 150, then flat
    #   2025-06: o13 30, o14 30 -> 30, 60, then flat
    #   2025-12: k0 o01 100 + o04 80 + o10 100 = 280 (o11 cancelled) -> 93.33; k1 o02 50 + o05 80
    #            -> 410 / 3 = 136.67; k2 o03 150 -> 560 / 3 = 186.67
    #   2026-01: o06 20 USD * 7.0 = 140 + o12 140 = 280 -> 140, 140
    #   2026-02: o07 60 -> 60
    # complete: every month up to January 2026 ended before D = 2026-02-10; February did not
    curve = {
        (r["cohort_month"], r["month_offset"]): (r["revenue"], r["cumulative_revenue_per_customer"], r["is_complete"])
        for r in cohorts.iter_rows(named=True)
    }
    february = date(2026, 2, 1)
    expected_curve = {
        (date(2025, 2, 1), 0): (300.0, 150.0),
        **{(date(2025, 2, 1), k): (0.0, 150.0) for k in range(1, 13)},
        (date(2025, 6, 1), 0): (30.0, 30.0),
        (date(2025, 6, 1), 1): (30.0, 60.0),
        **{(date(2025, 6, 1), k): (0.0, 60.0) for k in range(2, 9)},
        (date(2025, 12, 1), 0): (280.0, 280 / 3),
        (date(2025, 12, 1), 1): (130.0, 410 / 3),
        (date(2025, 12, 1), 2): (150.0, 560 / 3),
        (date(2026, 1, 1), 0): (280.0, 140.0),
        (date(2026, 1, 1), 1): (0.0, 140.0),
        (date(2026, 2, 1), 0): (60.0, 60.0),
    }
    for (cohort, k), (revenue, per_customer) in expected_curve.items():
        got_revenue, got_per_customer, complete = curve[(cohort, k)]
        assert math.isclose(got_revenue, revenue) and math.isclose(got_per_customer, per_customer), (cohort, k)
        month = date(cohort.year + (cohort.month - 1 + k) // 12, (cohort.month - 1 + k) % 12 + 1, 1)
        assert complete == (month < february), (cohort, k)
    assert sorted(got) == sorted(expected)
    for key, (size, active, retention) in expected.items():
        assert got[key][:2] == (size, active), key
        assert math.isclose(got[key][2], retention), key
    # Σ cohort sizes = the 9 customers with a paid order (c1..c10 without c7)
    assert cohorts.filter(pl.col("month_offset") == 0)["cohort_size"].sum() == 9
