"""target_tracking: the real pipeline on the hand-worked `targets_shop` fixture (a shop without
plan/targets: test_customers_marts.py).

targets_shop (tests/fixtures/targets_shop/, batch days 2026-05-31, 06-01, 06-15; the last complete
day is 06-15, so June is exactly half elapsed: 15 of 30 days; money CNY):
  orders   o0 05-31 paid 40 (c1's first order); o1 06-01 paid 100 (s1, paid_search);
           o2 06-01 paid 50 (c2, no session); o3 06-15 paid 50 (c3, s3, paid_search);
           o4 06-15 cancelled 25 (counts in gmv only)
  sessions s1, s3 paid_search with a purchase; s2, s4 direct without one
  spend    06-01 paid_search 30, paid_social 20; 06-15 paid_search 30, paid_social 10
  targets  2026-05 gmv 1000 (a month fully past); 2026-07 gmv 5000 (not begun);
           2026-06 gmv 400, revised to 500 on 06-10 (arrives in the 06-15 batch: latest wins)
June, worked by hand (gmv_forecast has too little history here, so gmv uses the run rate):
  gmv              actual 100+50+50+25 = 225, expected 500 x 15/30 = 250, pace 0.9, projected 450 < 500
  paid_orders      3 of 6: expected 3, pace 1, projected 6 >= 6: on track
  new_customers    c2, c3 = 2 of 4: expected 2, pace 1, projected 4: on track
  aov (ratio)      200 / 3 = 66.67 vs 60: expected 60, pace 1.11, projected 66.67: on track
  conversion_rate  2 / 4 sessions = 0.5 vs 0.6: pace 0.833, projected 0.5: not on track
  spend (all)      30+20+30+10 = 90 vs 200: expected 100, pace 0.9, projected 180 <= 200: on track
  spend paid_search 60 vs 100: expected 50, pace 1.2, projected 120 > 100: over budget, not on track
  sessions paid_search 2 vs 6: expected 3, pace 0.667, projected 4: not on track
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from tests.reference.compare import frame_differences
from tests.reference.targets import compute_target_tracking
from tests.support.paths import FIXTURES
from tests.support.warehouse import new_settings, read_table, run_ok

TARGETS_SHOP = FIXTURES / "targets_shop"
TARGETS_SHOP_DAYS = (date(2026, 5, 31), date(2026, 6, 15))
COLUMNS = (
    "month",
    "metric",
    "channel",
    "target",
    "actual_to_date",
    "days_elapsed",
    "days_in_month",
    "expected_to_date",
    "pace",
    "projected",
    "on_track",
)

JUNE, MAY, JULY = date(2026, 6, 1), date(2026, 5, 1), date(2026, 7, 1)
# (month, metric, channel): target, actual_to_date, days_elapsed, days_in_month, expected, pace, projected, on_track
EXPECTED = {
    (MAY, "gmv", "all"): (1000, 40, 31, 31, 1000, 0.04, 40, False),
    (JUNE, "gmv", "all"): (500, 225, 15, 30, 250, 0.9, 450, False),
    (JUNE, "paid_orders", "all"): (6, 3, 15, 30, 3, 1.0, 6, True),
    (JUNE, "new_customers", "all"): (4, 2, 15, 30, 2, 1.0, 4, True),
    (JUNE, "aov", "all"): (60, 200 / 3, 15, 30, 60, 200 / 3 / 60, 200 / 3, True),
    (JUNE, "conversion_rate", "all"): (0.6, 0.5, 15, 30, 0.6, 0.5 / 0.6, 0.5, False),
    (JUNE, "spend", "all"): (200, 90, 15, 30, 100, 0.9, 180, True),
    (JUNE, "spend", "paid_search"): (100, 60, 15, 30, 50, 1.2, 120, False),
    (JUNE, "sessions", "paid_search"): (6, 2, 15, 30, 3, 2 / 3, 4, False),
    (JULY, "gmv", "all"): (5000, None, 0, 31, 0, None, None, None),
}


def _same(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, bool):
        return got is want
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def targets_shop_run(tmp_path_factory):
    settings = new_settings(tmp_path_factory.mktemp("targets_home"), TARGETS_SHOP)
    run_ok(settings, *TARGETS_SHOP_DAYS)
    return settings


def test_target_tracking_hand_worked(targets_shop_run):
    mart = read_table(targets_shop_run.serving_db, "SELECT * FROM marts.target_tracking ORDER BY ALL")
    assert tuple(mart.columns) == COLUMNS
    got = {(r["month"], r["metric"], r["channel"]): r for r in mart.iter_rows(named=True)}
    assert sorted(got) == sorted(EXPECTED)
    problems = [
        f"{key} {column}: got {got[key][column]!r}, expected {value!r}"
        for key, values in EXPECTED.items()
        for column, value in zip(COLUMNS[3:], values, strict=True)
        if not _same(got[key][column], value)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("shop", ["targets_shop_run", "simulated_shop"])
def test_target_tracking_matches_the_reference(shop, request):
    """The mart against plain polars over the landing files (tests/reference/targets.py), on the
    hand-worked shop and on the simulated one (whose targets cover every month it spans)."""
    settings = request.getfixturevalue(shop)
    mart = read_table(settings.serving_db, "SELECT * FROM marts.target_tracking ORDER BY ALL")
    assert mart.height > 0
    reference = compute_target_tracking(settings.landing)
    # a run-rate projection scales a month's money (rounded to 4 places per order in the mart) by
    # days in month / days elapsed: relative, not absolute, agreement
    assert frame_differences(mart, reference, ["month", "metric", "channel"], rel_tol=1e-6) == []
