"""Shared fixtures: a private warehouse home per test (or module), and running the real pipeline."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.runner import RunReport, run_window
from orchestration.settings import Settings, load_settings

TESTS = Path(__file__).resolve().parent
EDGE_SHOP = TESTS / "fixtures" / "edge_shop"
EDGE_SHOP_DAYS = (date(2026, 3, 1), date(2026, 3, 4))

_SETTING_VARS = (
    "WAREHOUSE_HOME", "WAREHOUSE_LANDING", "WAREHOUSE_TZ", "WAREHOUSE_BASE_CURRENCY",
    "WAREHOUSE_HOME_COUNTRY", "WAREHOUSE_MAX_QUARANTINE_SHARE", "WAREHOUSE_HASH_KEY", "DAGSTER_HOME",
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


def run_ok(settings: Settings, start: date, end: date) -> RunReport:
    report = run_window(settings, start, end, log_level="WARNING")
    assert report.success, report.one_line()
    return report


def read_table(db: Path, sql: str) -> pl.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def kpi_daily(settings: Settings) -> pl.DataFrame:
    return read_table(settings.serving_db, "SELECT * FROM marts.kpi_daily ORDER BY date")


@pytest.fixture(scope="module")
def module_monkeypatch():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def edge_shop_run(tmp_path_factory, module_monkeypatch):
    """The edge-case fixture shop run once through the whole pipeline (default settings)."""
    settings = use_warehouse(module_monkeypatch, tmp_path_factory.mktemp("edge_home"), EDGE_SHOP)
    report = run_ok(settings, *EDGE_SHOP_DAYS)
    return settings, report


def pytest_configure(config):
    # Dagster must never fall back to a shared instance from the developer's environment.
    os.environ.pop("DAGSTER_HOME", None)
