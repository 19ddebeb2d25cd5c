"""A test warehouse: its settings, a run of the real pipeline over a window, reads of its DuckDB
files, and the two shops the session runs once (the hand-worked edge shop, a small simulated shop).

A run gets its settings as an object (`run_window(settings, ...)`), never from the environment:
a session-wide run does not depend on what another module's fixture left in `os.environ`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from config import Settings, load_settings
from orchestration.runner import RunReport, run_window
from tests.support.paths import FIXTURES

EDGE_SHOP = FIXTURES / "edge_shop"
EDGE_SHOP_DAYS = (date(2026, 3, 1), date(2026, 3, 4))
# The simulated shop every mart's reconciliation test uses: three weeks across a year boundary.
SIM_START, SIM_DAYS, SIM_SEED = date(2025, 12, 20), 21, 11
SIM_END = SIM_START + timedelta(days=SIM_DAYS - 1)

_SETTING_VARS = (
    "WAREHOUSE_HOME",
    "WAREHOUSE_LANDING",
    "WAREHOUSE_TZ",
    "WAREHOUSE_BASE_CURRENCY",
    "WAREHOUSE_HOME_COUNTRY",
    "WAREHOUSE_MAX_QUARANTINE_SHARE",
    "WAREHOUSE_REFUND_WINDOW_DAYS",
    "WAREHOUSE_HASH_KEY",
    "WAREHOUSE_NAME",
    "WAREHOUSE_ALERT_WEBHOOK",
    "WAREHOUSE_SMTP_URL",
    "WAREHOUSE_ALERT_EMAIL_TO",
    "WAREHOUSE_ALERT_EMAIL_FROM",
    "WAREHOUSE_ALERT_MIN_SEVERITY",
    "WAREHOUSE_ENGINE",
    "WAREHOUSE_LAKE",
    "WAREHOUSE_SPARK_THRIFT",
    "DAGSTER_HOME",
)


def use_warehouse(monkeypatch, home: Path, landing: Path, **settings: str) -> Settings:
    """Point every setting at `home`/`landing` (plus overrides such as WAREHOUSE_TZ='UTC')."""
    for name in _SETTING_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("WAREHOUSE_LANDING", str(landing))
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def new_settings(home: Path, landing: Path, **overrides: str) -> Settings:
    """Settings of a warehouse at `home` over `landing`, without touching the environment."""
    with pytest.MonkeyPatch.context() as mp:
        return use_warehouse(mp, home, landing, **overrides)


def run_window_as(settings: Settings, start: date, end: date, full_refresh: bool = False) -> RunReport:
    """One run of the pipeline with exactly `settings` (Dagster hands them to every asset as a
    resource; the environment plays no part)."""
    return run_window(settings, start, end, full_refresh=full_refresh)


def run_ok(settings: Settings, start: date, end: date, full_refresh: bool = False) -> RunReport:
    report = run_window_as(settings, start, end, full_refresh)
    assert report.success, report.one_line()
    return report


def fetch_rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of `sql` (with its `?` parameters) over a DuckDB file opened read-only (and closed)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def read_table(db: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def kpi_daily(settings: Settings) -> pl.DataFrame:
    return read_table(settings.serving_db, "SELECT * FROM marts.kpi_daily ORDER BY date")
