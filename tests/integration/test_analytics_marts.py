"""experiment_results, risk_alerts and gmv_forecast: the real pipeline against the independent
reference (tests/reference/analytics.py) on the `analytics_shop` fixture (designed in
tests/fixtures/make_analytics_shop.py; one run for this module) and on the shared simulated shop.
The reference against numbers worked out by hand: tests/unit/test_reference_analytics.py."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from tests.reference.analytics import (
    EXPERIMENT_COLUMNS,
    FORECAST_COLUMNS,
    RISK_COLUMNS,
    compute_experiment_results,
    compute_gmv_forecast,
    compute_risk_alerts,
)
from tests.support.paths import FIXTURES, REPO
from tests.support.warehouse import new_settings, read_table, run_ok

SHOP = FIXTURES / "analytics_shop"
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 8)  # day 1 (a Monday) .. day 63
HASH_KEY = "hand-worked-key"


def day(n: int) -> date:
    return FIRST + timedelta(days=n - 1)


def _same(got, want, tol: float = 1e-9) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float) or isinstance(got, float) or hasattr(got, "as_tuple"):
        return math.isclose(float(got), float(want), rel_tol=tol, abs_tol=tol)
    return got == want


def _differences(actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str], tol: float = 1e-9) -> list[str]:
    assert tuple(actual.columns) == tuple(expected.columns), (actual.columns, expected.columns)
    got = {tuple(r[k] for k in keys): r for r in actual.iter_rows(named=True)}
    want = {tuple(r[k] for k in keys): r for r in expected.iter_rows(named=True)}
    problems = [] if sorted(got) == sorted(want) else [f"keys {sorted(got)} != expected {sorted(want)}"]
    for key in sorted(set(got) & set(want)):
        for column in expected.columns:
            if not _same(got[key][column], want[key][column], tol):
                problems.append(f"{key} {column}: got {got[key][column]!r}, expected {want[key][column]!r}")
    return problems


# --------------------------------------------------------------------------- the real pipeline


@pytest.fixture(scope="module")
def analytics_shop_run(tmp_path_factory):
    """The analytics fixture shop run once through the pipeline (with a known hash key)."""
    settings = new_settings(tmp_path_factory.mktemp("analytics_home"), SHOP)
    (settings.home / "hash_key").write_text(HASH_KEY)  # the home's key (run_ok runs without WAREHOUSE_HASH_KEY)
    run_ok(settings, FIRST, LAST)
    return settings


def _mart(settings, name: str, columns: tuple[str, ...], order: str) -> pl.DataFrame:
    return read_table(settings.serving_db, f"SELECT {', '.join(columns)} FROM marts.{name} ORDER BY {order}")


def _forecast_mart(settings) -> pl.DataFrame:
    return _mart(settings, "gmv_forecast", FORECAST_COLUMNS, "date").with_columns(
        pl.col("forecast", "lower", "upper").cast(pl.Float64)
    )


def test_pipeline_experiment_results_match_the_reference(analytics_shop_run):
    mart = _mart(analytics_shop_run, "experiment_results", EXPERIMENT_COLUMNS, "experiment_id, variant")
    assert _differences(mart, compute_experiment_results(SHOP), ["experiment_id", "variant"]) == []


def test_pipeline_risk_alerts_match_the_reference(analytics_shop_run):
    mart = _mart(analytics_shop_run, "risk_alerts", RISK_COLUMNS, "alert_type, alert_date, entity_type, entity")
    reference = compute_risk_alerts(SHOP, HASH_KEY)
    assert _differences(mart, reference, ["alert_type", "alert_date", "entity_type", "entity"], tol=1e-6) == []
    # personal keys are hashed: no clear device, IP or customer id reaches the mart
    served = read_table(analytics_shop_run.serving_db, "SELECT entity, explanation FROM marts.risk_alerts")
    for clear in ("dev-fraud", "203.0.113.7", "r1"):
        assert clear not in served["entity"].to_list()
        assert not any(clear in text for text in served["explanation"])


def test_pipeline_gmv_forecast_matches_the_reference(analytics_shop_run):
    mart = _forecast_mart(analytics_shop_run)
    # money columns are DECIMAL(18, 4): equal to the reference within the rounding
    assert _differences(mart, compute_gmv_forecast(SHOP), ["date"], tol=1e-4) == []


def test_pipeline_on_the_simulated_shop_matches_the_reference(simulated_shop):
    landing = simulated_shop.landing
    mart = _mart(simulated_shop, "experiment_results", EXPERIMENT_COLUMNS, "experiment_id, variant")
    assert mart.height >= 2
    assert _differences(mart, compute_experiment_results(landing), ["experiment_id", "variant"]) == []
    mart = _mart(simulated_shop, "risk_alerts", RISK_COLUMNS, "alert_type, alert_date, entity_type, entity")
    # the run's key is the home's key file (run_ok clears WAREHOUSE_HASH_KEY for the run; read the
    # file rather than Settings.hash_key, which an earlier run's dbt environment can shadow)
    key = (simulated_shop.home / "hash_key").read_text().strip()
    reference = compute_risk_alerts(landing, key, simulated_shop.tz, simulated_shop.base_currency)
    assert _differences(mart, reference, ["alert_type", "alert_date", "entity_type", "entity"], tol=1e-6) == []
    # 21 days = 3 weeks: the forecast mart says why it has no forecast
    mart = _forecast_mart(simulated_shop)
    assert mart["model"].to_list() == ["insufficient_history: 3 weeks of complete days, 8 needed"]
    assert _differences(mart, compute_gmv_forecast(landing), ["date"], tol=1e-4) == []


def test_python_marts_match_their_documented_columns(analytics_shop_run):
    """The columns and types of the Python-built marts are those declared (and documented) in
    transform/models/marts/_python_marts.yml, in order."""
    import yaml

    declared = yaml.safe_load((REPO / "transform/models/marts/_python_marts.yml").read_text())
    tables = {t["name"]: t for t in declared["sources"][0]["tables"]}
    assert sorted(tables) == ["experiment_results", "gmv_forecast", "target_tracking"]
    for name, table in tables.items():
        served = read_table(analytics_shop_run.serving_db, f"DESCRIBE marts.{name}")
        got = [(r["column_name"], r["column_type"].lower().replace(" ", "")) for r in served.iter_rows(named=True)]
        want = [(c["name"], c["data_type"].lower().replace(" ", "")) for c in table["columns"]]
        assert got == want, name
        assert all(c.get("description") for c in table["columns"]), name
