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
    compute_cohort_retention,
    compute_customer_rfm,
    customer_key,
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
        (4, 4, 4, "champions"),
        (5, 5, 3, "loyal"),
        (1, 4, 1, "loyal"),  # F≥4 wins over at_risk (R≤2 F≥3): first match
        (4, 1, 5, "new"),
        (3, 1, 1, "potential"),  # F=1 but R=3: not new, not hibernating
        (2, 3, 5, "at_risk"),
        (1, 3, 1, "at_risk"),
        (2, 2, 5, "hibernating"),
        (1, 1, 1, "hibernating"),
        (3, 3, 3, "potential"),
        (5, 3, 5, "potential"),  # R≥4 F=3: no rule but the last
    ],
)
def test_reference_segment_rules(r, f, m, expected):
    assert segment(r, f, m) == expected


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
    # D = 2026-02-10: c7's pending order o17 (the latest paid orders are of 02-09). Window:
    # order dates 2025-02-11 .. 2026-02-10.
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
    # F (fewest first): c3 c4 c5 c6 c8 one order (1, tie) -> 1; c2 c9 two (6) -> 4; c1 (8) -> 5
    # M (lowest first): c5 40 (1) -> 1; c4 = c9 60 (2, tie) -> 1; c6 100 (4) -> 3;
    #   c3 = c8 140 (5, tie across currencies) -> 3; c2 160 (7) -> 5; c1 300 (8) -> 5
    # segments: c1 5/5/5 and c2 4/4/5 champions; c9 1/4/1 loyal (F≥4 before at_risk); c4 5/1/1
    #   new; c5 1/1/1 and c6 2/1/3 hibernating; c3 and c8 3/1/3 potential
    expected = {
        "c1": (1, 3, 300.0, 5, 5, 5, "champions"),
        "c2": (21, 2, 160.0, 4, 4, 5, "champions"),
        "c3": (36, 1, 140.0, 3, 1, 3, "potential"),
        "c4": (1, 1, 60.0, 5, 1, 1, "new"),
        "c5": (364, 1, 40.0, 1, 1, 1, "hibernating"),
        "c6": (57, 1, 100.0, 2, 1, 3, "hibernating"),
        "c8": (31, 1, 140.0, 3, 1, 3, "potential"),
        "c9": (224, 2, 60.0, 1, 4, 1, "loyal"),
    }
    columns = ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment")
    for customer, want in expected.items():
        got = tuple(rows[customer][c] for c in columns)
        assert got == want, (customer, got, want)
    # Σ frequency = the 12 paid orders dated in the window (14 paid orders in all, minus o08, o15)
    assert rfm["frequency"].sum() == 12


def test_reference_cohort_retention_hand_worked():
    cohorts = compute_cohort_retention(CUSTOMERS_SHOP)
    assert tuple(cohorts.columns) == COHORT_COLUMNS
    # last month with data: 2026-02 (D = 2026-02-10). Cohorts (month of the first paid order):
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
    assert sorted(got) == sorted(expected)
    for key, (size, active, retention) in expected.items():
        assert got[key][:2] == (size, active), key
        assert math.isclose(got[key][2], retention), key
    # Σ cohort sizes = the 9 customers with a paid order (c1..c10 without c7)
    assert cohorts.filter(pl.col("month_offset") == 0)["cohort_size"].sum() == 9
