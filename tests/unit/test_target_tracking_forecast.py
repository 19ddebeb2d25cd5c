"""The gmv projection of marts.target_tracking (orchestration/assets/analytics.py) on a real DuckDB
database: int_target_tracking and gmv_forecast written by hand. June 2026 (30 days), last complete
day 06-20: 10 remaining days. actual 600 to date, run rate 600 x 30/20 = 900."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from orchestration.assets.analytics import replace_target_tracking

LAST = date(2026, 6, 20)


def _database(path, forecast_days: int, null_day: date | None = None):
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA intermediate; CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE intermediate.int_target_tracking AS SELECT * FROM (VALUES "
        "(DATE '2026-06-01', 'gmv', 'all', 1000.0, 600.0, 20, 30, 666.67, 0.9, 900.0, false, false, false, "
        " DATE '2026-06-30', DATE '2026-06-20'),"
        "(DATE '2026-06-01', 'spend', 'all', 90.0, 66.0, 20, 30, 60.0, 1.1, 99.0, false, false, true, "
        " DATE '2026-06-30', DATE '2026-06-20')"
        ") AS t(month_start, metric, channel, target_value, actual_to_date, days_elapsed, days_in_month, "
        "expected_to_date, pace, projected, on_track, is_ratio, is_lower_better, month_end, last_complete_day)"
    )
    con.execute(
        "CREATE TABLE marts.gmv_forecast (date DATE, forecast DECIMAL(18, 4), lower DECIMAL(18, 4), "
        "upper DECIMAL(18, 4), model VARCHAR, backtest_mape DOUBLE, backtest_weeks BIGINT)"
    )
    for i in range(1, forecast_days + 1):
        day = LAST + timedelta(days=i)
        value = None if day == null_day else 45.0
        con.execute("INSERT INTO marts.gmv_forecast VALUES (?, ?, 0, 0, 'm', 0.1, 4)", [day, value])
    return con


def _row(rows, metric):
    return next(r for r in rows if r["metric"] == metric)


def test_forecast_covering_the_remaining_days_replaces_the_run_rate(tmp_path):
    con = _database(tmp_path / "w.duckdb", forecast_days=14)
    rows = replace_target_tracking(con)
    gmv = _row(rows, "gmv")
    # 600 + 10 days x 45 (the forecast's days 11..14 fall in July: not counted)
    assert gmv["projected"] == pytest.approx(1050.0) and gmv["on_track"] is True
    # spend never uses the forecast; lower is better: 99 > 90 is not on track
    spend = _row(rows, "spend")
    assert spend["projected"] == pytest.approx(99.0) and spend["on_track"] is False
    published = con.execute("SELECT count(*), sum(projected) FROM marts.target_tracking").fetchone()
    assert published[0] == 2 and published[1] == pytest.approx(1149.0)


@pytest.mark.parametrize("forecast_days, null_day", [(7, None), (14, LAST + timedelta(days=3)), (0, None)])
def test_forecast_missing_a_remaining_day_keeps_the_run_rate(tmp_path, forecast_days, null_day):
    con = _database(tmp_path / "w.duckdb", forecast_days=forecast_days, null_day=null_day)
    gmv = _row(replace_target_tracking(con), "gmv")
    assert gmv["projected"] == pytest.approx(900.0) and gmv["on_track"] is False
