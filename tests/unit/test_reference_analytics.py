"""experiment_results, risk_alerts and gmv_forecast: the independent reference
(tests/reference/analytics.py) against numbers worked out by hand on the `analytics_shop` fixture
(designed in tests/fixtures/make_analytics_shop.py). The pipeline against the reference:
tests/integration/test_analytics_marts.py."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from tests.reference.analytics import (
    EXPERIMENT_COLUMNS,
    FORECAST_COLUMNS,
    RISK_COLUMNS,
    anomaly_fit,
    compute_experiment_results,
    compute_gmv_forecast,
    compute_risk_alerts,
    keyed_hash,
    kpi_anomaly_alerts,
)
from tests.support.paths import FIXTURES

SHOP = FIXTURES / "analytics_shop"
FIRST = date(2026, 1, 5)  # day 1 (a Monday) of the fixture
HASH_KEY = "hand-worked-key"


def day(n: int) -> date:
    return FIRST + timedelta(days=n - 1)


# --------------------------------------------------------------------------- hand-worked numbers


def test_reference_experiment_results_hand_worked():
    df = compute_experiment_results(SHOP)
    assert tuple(df.columns) == EXPERIMENT_COLUMNS
    rows = {(r["experiment_id"], r["variant"]): r for r in df.iter_rows(named=True)}
    assert sorted(rows) == [
        ("exp_banner", "a"),
        ("exp_banner", "b"),
        ("exp_checkout", "control"),
        ("exp_checkout", "treatment"),
    ]
    # control: vc1 and vc2 bought after exposure, vc3 only before it, vc4 never: 2 of 4 = 0.5.
    # treatment: vt1, vt2 (same second), vt3 bought, vt4 not: 3 of 4 = 0.75. vx was seen in both:
    # excluded and counted on both rows; vn's event has no variant: not exposed.
    control, treatment = rows[("exp_checkout", "control")], rows[("exp_checkout", "treatment")]
    assert (control["exposed"], control["converted"], control["excluded_users"]) == (4, 2, 1)
    assert (treatment["exposed"], treatment["converted"], treatment["excluded_users"]) == (4, 3, 1)
    # lift = 0.75 / 0.5 - 1 = 0.5; pooled 5 / 8: z = 0.25 / sqrt(0.625 * 0.375 * 0.5) = 0.730297,
    # p = 0.465209; CI: 0.25 -/+ 1.959964 * sqrt(0.25 * 0.25 / 4 + 0.5 * 0.5 / 4) = 0.25 -/+ 0.648197
    assert control["conversion"] == 0.5 and treatment["conversion"] == 0.75
    assert treatment["lift"] == pytest.approx(0.5)
    assert treatment["p_value"] == pytest.approx(0.465209, abs=1e-6)
    assert treatment["ci_low"] == pytest.approx(-0.398197, abs=1e-6)
    assert treatment["ci_high"] == pytest.approx(0.898197, abs=1e-6)
    assert control["lift"] is None and control["p_value"] is None and control["ci_high"] is None
    # SRM: 4 vs 4 is an even split: chi2 0, p 1
    assert control["srm_p_value"] == pytest.approx(1.0) and control["srm_flag"] is False
    # exp_banner has no control: a 1 of 2, b 0 of 1, no lift / test; SRM 2 vs 1: chi2 = 2 * 0.5² / 1.5
    # = 1/3, p = erfc(sqrt(1/6)) = 0.563703
    a, b = rows[("exp_banner", "a")], rows[("exp_banner", "b")]
    assert (a["exposed"], a["converted"], b["exposed"], b["converted"]) == (2, 1, 1, 0)
    assert a["lift"] is None and b["p_value"] is None
    assert a["srm_p_value"] == pytest.approx(math.erfc(math.sqrt(1 / 6)), abs=1e-9)
    assert a["srm_p_value"] == pytest.approx(0.563703, abs=1e-6)


def test_reference_risk_alerts_hand_worked():
    df = compute_risk_alerts(SHOP, HASH_KEY)
    assert tuple(df.columns) == RISK_COLUMNS
    got = {(r["alert_type"], r["alert_date"], r["entity_type"], r["entity"]): r for r in df.iter_rows(named=True)}
    want = {
        # day 3: five orders 20:00..21:00 from dev-fraud / 203.0.113.7, the first exactly 60 min
        # before the last: 5 in one window (low: 5-6). Day 4's dev-near has its fifth order one
        # second late: at most 4 in a window, no alert.
        ("order_velocity", day(3), "device", keyed_hash(HASH_KEY, "dev-fraud")): (5.0, 5.0, "low"),
        ("order_velocity", day(3), "ip_address", keyed_hash(HASH_KEY, "203.0.113.7")): (5.0, 5.0, "low"),
        # day 15: paid orders of days 1-14 all total 100 (median 100): 1000.01 > 10 x 100, ratio
        # 10.0001 (low). Day 16's 1000.00 is not above 1000.
        ("amount_outlier", day(15), "order", "o15x"): (1000.01, 1000.0, "low"),
        # r1: paid orders on days 5, 6, 7; refunds of the first two complete on day 9:
        # 2 of 3 = 0.667 > 0.5 (low: < 0.7). r2 reaches 2 of 4 = 0.5 (not above); r3 has 2 orders.
        ("refund_abuse", day(9), "customer", keyed_hash(HASH_KEY, "r1")): (2 / 3, 0.5, "low"),
        # day 29: trailing days 1..28 = 14 even days at 1/5 and 14 odd days at 0: mean 0.1, sample
        # sd sqrt(28 * 0.1² / 27) = 0.101835, 3 sd threshold 0.405505; 3 of 7 = 0.428571 is above
        # it but only 3 - 7 * 0.1 = 2.3 failed attempts above the usual share: no alert.
        # Day 31: trailing days 3..30 hold day 29's 3/7: mean (2.8 + 3/7) / 28 = 0.115306, sd
        # 0.117284; 3 sd threshold 0.467158, floor 0.115306 + 5/12 = 0.531973 (the larger); 8 of
        # 12 = 0.666667 is above: (0.666667 - 0.115306) / 0.117284 = 4.70 sd (medium).
        ("payment_failures", day(31), "kpi", "failed_payment_share"): (8 / 12, (2.8 + 3 / 7) / 28 + 5 / 12, "medium"),
        # kpi_anomaly: only days 57-63 have 56 days of history; their gmv is 400, what the fit of
        # the (mostly flat) history predicts: no alert (day 33's 412.01 is +3 % and too early).
        # Sessions are 0 after day 7 (no weekday has 4 positive days) and conversion_rate null.
        # service_sla: no service data; page_load: page views on days 1-7 only (< 7 trailing days).
    }
    assert sorted(got) == sorted(want)
    for key, (metric, threshold, severity) in want.items():
        row = got[key]
        assert row["metric_value"] == pytest.approx(metric, abs=1e-6), key
        assert row["threshold"] == pytest.approx(threshold, abs=1e-6), key
        assert row["severity"] == severity, key


def test_reference_gmv_forecast_hand_worked():
    df = compute_gmv_forecast(SHOP)
    assert tuple(df.columns) == FORECAST_COLUMNS
    # 63 complete days (the last orders batch is day 63) = 9 whole weeks: forecasts for days 64-77.
    assert df["date"].to_list() == [day(n) for n in range(64, 78)]
    assert set(df["model"]) == {"ols_trend_weekday_trimmed"}
    # backtest weeks start after 35, 42, 49 and 56 days: only the last has 8 weeks before it
    assert set(df["backtest_weeks"]) == {1}
    # gmv is 400 on 57 of the 63 days. Days 15, 16 (+1000) and 3, 4 (+500) have the largest
    # residuals, far beyond 3.5 robust sd: they are left out one by one. What remains is 400
    # except Friday day 33 (412.01) and Saturday day 34 (412.00), each at the mean day of its
    # weekday's points (Fridays 5..61, mean 33; Saturdays 6..62, mean 34), so they move no slope:
    # trend 0, Friday level 400 + 12.01 / 9, Saturday 400 + 12 / 9, every other weekday 400.
    by_weekday = {d.weekday(): f for d, f in df.select("date", "forecast").rows()}
    assert by_weekday == pytest.approx(
        {0: 400.0, 1: 400.0, 2: 400.0, 3: 400.0, 4: 400 + 12.01 / 9, 5: 400 + 12 / 9, 6: 400.0}, abs=1e-9
    )
    assert all(lo < f < hi for lo, f, hi in df.select("lower", "forecast", "upper").rows())
    # the one backtest week (days 57-63, all 400) is forecast from days 1-56, whose fit has a small
    # slope and so leaves out a fifth day too (the numbers of that fit are the reference's, not
    # hand-worked): MAPE 0.08 %
    assert df["backtest_mape"][0] == pytest.approx(0.000784, abs=1e-6)


def test_reference_forecast_says_why_on_a_short_history(tmp_path):
    # the first 5 weeks of the fixture only: no forecast, one row dated the day after day 35
    short = tmp_path / "landing"
    for folder in SHOP.rglob("dt=*"):
        if date.fromisoformat(folder.name[3:]) <= day(35):
            target = short / folder.relative_to(SHOP)
            target.mkdir(parents=True)
            for f in folder.iterdir():
                (target / f.name).write_bytes(f.read_bytes())
    rows = compute_gmv_forecast(short).to_dicts()
    assert rows == [
        dict(
            date=day(36),
            forecast=None,
            lower=None,
            upper=None,
            model="insufficient_history: 5 weeks of complete days, 8 needed",
            backtest_mape=None,
            backtest_weeks=0,
        )
    ]


def _series(days: int, spike: dict[int, float], sigma: float, seed: int) -> pl.DataFrame:
    """A KPI with a trend (+0.2 % a day), a weekday pattern (weekends +25 %) and lognormal noise."""
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 5)
    dates = [start + timedelta(days=n) for n in range(days)]
    weekday = np.array([0.0, 0.02, 0.04, 0.02, 0.1, 0.25, 0.22])
    log_gmv = [
        math.log(300_000) + 0.002 * n + weekday[d.weekday()] + rng.normal(0, sigma) + math.log(spike.get(n, 1.0))
        for n, d in enumerate(dates)
    ]
    return pl.DataFrame(
        {"date": dates, "gmv": np.exp(log_gmv), "sessions": [None] * days, "conversion_rate": [None] * days}
    )


def test_anomaly_fit_recovers_trend_and_weekday():
    # noise-free: the fit is the series itself, so the prediction is exact and s is the floor
    kpis = _series(70, {}, 0.0, 1)
    values = dict(kpis.select("date", "gmv").rows())
    day = kpis["date"][65]
    prediction, s = anomaly_fit(values, day)
    assert math.exp(prediction) == pytest.approx(values[day], rel=1e-9)
    assert s == 0.01


def test_kpi_anomaly_alerts_the_planted_spike_and_not_the_noise():
    # 2 % day-to-day noise over 200 days (144 evaluated); a +30 % day on day 120 and a -40 % day on
    # day 150 (8 weeks later the spike is in the history and left out by the refit)
    kpis = _series(200, {120: 1.3, 150: 0.6}, 0.02, 7)
    alerts = {(a["alert_date"] - date(2026, 1, 5)).days: a for a in kpi_anomaly_alerts(kpis)}
    assert sorted(alerts) == [120, 150]
    assert alerts[120]["severity"] == "high" and alerts[120]["threshold"] < alerts[120]["metric_value"]
    assert alerts[150]["severity"] == "high" and alerts[150]["threshold"] > alerts[150]["metric_value"]


def test_kpi_anomaly_needs_ten_percent():
    # no noise: s = 0.01, so +8 % is 7.7 s, yet not 10 % away: no alert; +11 % alerts (10.4 s: high)
    kpis = _series(70, {60: 1.08, 66: 1.11}, 0.0, 1)
    alerts = [(a["alert_date"] - date(2026, 1, 5)).days for a in kpi_anomaly_alerts(kpis)]
    assert alerts == [66]
