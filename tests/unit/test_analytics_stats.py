"""The pure statistics behind experiment_results and gmv_forecast (analytics/stats.py,
analytics/forecast.py): numbers worked out by hand, or by another route (math.erfc instead of
scipy's normal distribution, scipy.stats.chi2_contingency / chisquare, the reference OLS of
tests/reference/analytics.py). No pipeline run: fast."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.stats import chi2_contingency, chisquare

from analytics import forecast, stats
from tests.reference import analytics as ref

# --------------------------------------------------------------------------- A/B statistics


def test_pooled_z_test_hand_worked():
    # control 200 / 1000 = 0.20, variant 250 / 1000 = 0.25; pooled p = 450 / 2000 = 0.225
    # se = sqrt(0.225 * 0.775 * (1/1000 + 1/1000)) = sqrt(0.00034875) = 0.0186748
    # z = 0.05 / 0.0186748 = 2.67740; two-sided p = erfc(z / sqrt 2) = 0.007420
    z = 0.05 / math.sqrt(0.225 * 0.775 * 0.002)
    assert z == pytest.approx(2.67740, abs=1e-5)
    p = stats.pooled_z_test(200, 1000, 250, 1000)
    assert p == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-12)
    assert p == pytest.approx(0.007420, abs=1e-6)
    # another route: the 2x2 chi-square test without continuity correction has chi2 = z²
    assert p == pytest.approx(chi2_contingency([[250, 750], [200, 800]], correction=False)[1], rel=1e-9)


def test_pooled_z_test_small_groups_and_undefined_cases():
    # control 2 / 4, variant 3 / 4: pooled 5 / 8 = 0.625, se = sqrt(0.625 * 0.375 * 0.5) = 0.342327,
    # z = 0.25 / 0.342327 = 0.730297, p = erfc(0.730297 / sqrt 2) = 0.465209
    assert stats.pooled_z_test(2, 4, 3, 4) == pytest.approx(0.465209, abs=1e-6)
    assert stats.pooled_z_test(0, 10, 0, 12) is None  # pooled rate 0: no variance
    assert stats.pooled_z_test(10, 10, 12, 12) is None  # pooled rate 1
    assert stats.pooled_z_test(1, 10, 0, 0) is None  # empty group
    assert stats.pooled_z_test(5, 10, 5, 10) == pytest.approx(1.0)  # no difference


def test_difference_interval_hand_worked():
    # unpooled se = sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000) = sqrt(0.0003475) = 0.0186414
    # z_0.975 = 1.959964; half width = 0.0365362 -> 0.05 -/+ 0.0365362
    low, high = stats.difference_interval(200, 1000, 250, 1000)
    assert low == pytest.approx(0.0134638, abs=1e-6)
    assert high == pytest.approx(0.0865362, abs=1e-6)
    # 2 / 4 vs 3 / 4: se = sqrt(0.0625 + 0.046875) = 0.330719, half = 0.648197
    low, high = stats.difference_interval(2, 4, 3, 4)
    assert (low, high) == (pytest.approx(-0.398197, abs=1e-6), pytest.approx(0.898197, abs=1e-6))
    assert stats.difference_interval(0, 5, 0, 5) == (0.0, 0.0)  # no variance: the point itself
    assert stats.difference_interval(1, 5, 0, 0) == (None, None)


def test_srm_hand_worked():
    # 1000 vs 1100: expected 1050 each, chi2 = 2 * 50² / 1050 = 4.7619, 1 df: p = erfc(sqrt(chi2 / 2)) = 0.02910
    p = stats.srm_p_value([1000, 1100])
    assert p == pytest.approx(math.erfc(math.sqrt(2 * 50**2 / 1050 / 2)), rel=1e-9)
    assert p == pytest.approx(0.02910, abs=1e-5) and p > stats.SRM_ALPHA
    # 1000 vs 1200: chi2 = 2 * 100² / 1100 = 18.1818, p = erfc(3.01511) = 2.008e-5 < 0.001: flagged
    assert stats.srm_p_value([1000, 1200]) == pytest.approx(2.008e-5, rel=1e-3)
    # three variants 100, 100, 130: expected 110, chi2 = (100 + 100 + 400) / 110 = 5.4545, 2 df:
    # p = exp(-chi2 / 2) = 0.065391
    assert stats.srm_p_value([100, 100, 130]) == pytest.approx(math.exp(-600 / 110 / 2), rel=1e-9)
    assert stats.srm_p_value([100, 100, 130]) == pytest.approx(chisquare([100, 100, 130]).pvalue, rel=1e-9)
    assert stats.srm_p_value([5]) is None and stats.srm_p_value([0, 0]) is None


def test_experiment_results_rows():
    counts = [
        stats.VariantCounts("e1", "treatment", 1000, 250, 3),
        stats.VariantCounts("e1", "control", 1200, 240, 3),
        stats.VariantCounts("e2", "a", 10, 5, 0),
        stats.VariantCounts("e2", "b", 0, 0, 2),
    ]
    rows = {(r["experiment_id"], r["variant"]): r for r in stats.experiment_results(counts)}
    assert tuple(stats.experiment_results(counts)[0]) == stats.RESULT_COLUMNS
    control, treatment = rows[("e1", "control")], rows[("e1", "treatment")]
    # control 240 / 1200 = 0.20, treatment 250 / 1000 = 0.25: lift = 0.25 / 0.20 - 1 = 0.25
    assert control["conversion"] == pytest.approx(0.2) and treatment["conversion"] == pytest.approx(0.25)
    assert treatment["lift"] == pytest.approx(0.25)
    assert control["lift"] is None and control["p_value"] is None and control["ci_low"] is None
    assert treatment["p_value"] == pytest.approx(stats.pooled_z_test(240, 1200, 250, 1000))
    # SRM of 1200 vs 1000: chi2 = 2 * 100² / 1100 = 18.18: flagged, on both rows
    assert control["srm_flag"] is True and treatment["srm_flag"] is True
    assert treatment["excluded_users"] == 3
    # e2 has no control: nothing to compare; b has nobody left: conversion null
    assert rows[("e2", "a")]["lift"] is None and rows[("e2", "a")]["p_value"] is None
    assert rows[("e2", "b")]["conversion"] is None
    # SRM of 10 vs 0: chi2 = 2 * 5² / 5 = 10, p = erfc(sqrt 5) = 0.00157: not below 0.001
    assert rows[("e2", "a")]["srm_flag"] is False


def test_lift_is_null_when_control_never_converts():
    rows = stats.experiment_results(
        [stats.VariantCounts("e", "control", 10, 0, 0), stats.VariantCounts("e", "treatment", 10, 2, 0)]
    )
    assert rows[1]["lift"] is None and rows[1]["p_value"] is not None


# --------------------------------------------------------------------------- forecast

MONDAY = date(2026, 1, 5)
SEASON = [0, 10, 20, 30, 40, 200, 150]  # Monday .. Sunday


def _days(n: int, first: date = MONDAY) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def test_forecast_says_why_with_fewer_than_8_weeks():
    days = _days(55)  # 7 whole weeks and 6 days
    rows = forecast.gmv_forecast(days, [100.0] * 55)
    assert rows == [
        dict(
            date=days[-1] + timedelta(days=1),
            forecast=None,
            lower=None,
            upper=None,
            model="insufficient_history: 7 weeks of complete days, 8 needed",
            backtest_mape=None,
            backtest_weeks=0,
        )
    ]
    assert len(forecast.gmv_forecast(_days(56), [100.0] * 56)) == 14
    assert forecast.gmv_forecast([], []) == []


def test_forecast_extrapolates_an_exact_trend_and_weekly_pattern():
    # gmv = 1000 + 5 t + season(weekday), no noise: the model reproduces it exactly, the residual
    # spread is 0 so the interval collapses onto the forecast, and every backtest error is 0.
    days = _days(70)
    values = [1000 + 5 * t + SEASON[d.weekday()] for t, d in enumerate(days)]
    rows = forecast.gmv_forecast(days, values)
    assert [r["date"] for r in rows] == _days(14, days[-1] + timedelta(days=1))
    # day 70 is a Monday: 1000 + 5 * 70 + 0 = 1350; day 76 a Sunday: 1000 + 380 + 150 = 1530
    assert rows[0]["forecast"] == pytest.approx(1350) and rows[6]["forecast"] == pytest.approx(1530)
    assert all(r["lower"] == pytest.approx(r["forecast"]) == pytest.approx(r["upper"]) for r in rows)
    assert rows[0]["model"] == "ols_trend_weekday_trimmed"
    # 10 weeks: the backtest weeks after 6 and 7 weeks of history are left out, after 8 and 9 counted
    assert rows[0]["backtest_weeks"] == 2 and rows[0]["backtest_mape"] == pytest.approx(0, abs=1e-9)


def test_backtest_mape_hand_worked():
    # 11 weeks of 100 a day, then a week of 125. The first three backtest weeks train on constant
    # 100s and forecast 100 for days that were 100 (error 0); the last forecasts 100 for days of
    # 125: 25 / 125 = 0.2 on 7 days. MAPE = 7 * 0.2 / 28 = 0.05.
    days = _days(84)
    values = [100.0] * 77 + [125.0] * 7
    assert forecast.backtest_mape(days, values) == (pytest.approx(0.05), 4)
    # days whose actual gmv is 0 are left out of the mean: 3 weeks of 0 errors + 7 * 0.2 -> over 21 + 7 days
    values = [100.0] * 70 + [0.0] * 7 + [125.0] * 7
    mape, weeks = forecast.backtest_mape(days, values)
    assert weeks == 4 and mape is not None


def test_forecast_interval_matches_the_reference_route():
    rng = np.random.default_rng(3)
    days = _days(100)
    values = [5000 + 12 * t + 40 * SEASON[d.weekday()] + rng.normal(0, 300) for t, d in enumerate(days)]
    window_days, window_values = days[-91:], values[-91:]  # at most 13 weeks are fit
    model = forecast.fit(window_days, window_values)
    horizon = _days(14, days[-1] + timedelta(days=1))
    point, lower, upper = forecast.predict(model, horizon)
    ref_point, ref_lower, ref_upper = ref._predict(ref._ols(window_days, window_values), horizon)
    np.testing.assert_allclose(point, ref_point, rtol=1e-9)
    np.testing.assert_allclose(lower, ref_lower, rtol=1e-9)
    np.testing.assert_allclose(upper, ref_upper, rtol=1e-9)
    # the interval is symmetric (nothing cut at 0 here) and wider further out (trend uncertainty)
    np.testing.assert_allclose(point - lower, upper - point, rtol=1e-9)
    assert (upper - lower)[-1] > (upper - lower)[0]
    rows = forecast.gmv_forecast(days, values)
    np.testing.assert_allclose([r["forecast"] for r in rows], point, rtol=1e-9)


def test_forecast_ignores_history_older_than_13_weeks_and_cuts_lower_at_zero():
    days = _days(120)
    # noisy small values around a falling trend: some lower bounds would be negative
    values = [max(0.0, 400 - 4 * t + 60 * ((t * 7919) % 11 - 5)) for t in range(120)]
    changed = [v * 3 for v in values[:29]] + values[29:]  # only days before the last 91 differ
    assert [r["forecast"] for r in forecast.gmv_forecast(days, values)] == pytest.approx(
        [r["forecast"] for r in forecast.gmv_forecast(days, changed)]
    )
    assert all(r["lower"] >= 0 for r in forecast.gmv_forecast(days, values))
    assert any(r["lower"] == 0 for r in forecast.gmv_forecast(days, values))


def test_a_one_off_day_is_left_out_of_the_fit():
    # 8 weeks of 100 a day with one promotion day of 1000 (day 20, a Saturday). The first fit spreads
    # the spike over the Saturday level and the trend, so its residual on day 20 is far beyond 3.5
    # robust standard deviations of the others: the day is left out and the second fit is exactly
    # 100 everywhere (zero residuals: the interval is the point).
    days = _days(56)
    values = [1000.0 if i == 19 else 100.0 for i in range(56)]
    model = forecast.fit(days, values)
    assert model.left_out == 1 and model.sigma == pytest.approx(0, abs=1e-9)
    rows = forecast.gmv_forecast(days, values)
    assert [r["forecast"] for r in rows] == pytest.approx([100.0] * 14)
    assert all(r["lower"] == pytest.approx(100) and r["upper"] == pytest.approx(100) for r in rows)
    # exact data has nothing to leave out
    assert forecast.fit(days, [100.0 + i for i in range(56)]).left_out == 0
