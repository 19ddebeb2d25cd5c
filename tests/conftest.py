"""Fixtures shared by every test folder: a module-wide monkeypatch, and two shops run once per
session through the real pipeline: the hand-worked `edge_shop` fixture and a small simulated shop
(helpers in tests/support/warehouse.py)."""

from __future__ import annotations

import os

import pytest

from tests.support.warehouse import (
    EDGE_SHOP,
    EDGE_SHOP_DAYS,
    SIM_DAYS,
    SIM_END,
    SIM_SEED,
    SIM_START,
    new_settings,
    run_ok,
)


@pytest.fixture(scope="module")
def module_monkeypatch():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session")
def edge_shop_run(tmp_path_factory):
    """The edge-case fixture shop run once through the whole pipeline (default settings)."""
    settings = new_settings(tmp_path_factory.mktemp("edge_home"), EDGE_SHOP)
    report = run_ok(settings, *EDGE_SHOP_DAYS)
    return settings, report


@pytest.fixture(scope="session")
def simulated_shop(tmp_path_factory):
    """A tiny simulated shop (SIM_START, SIM_DAYS, seed SIM_SEED) run once through the pipeline;
    marts are compared with independent computations over `settings.landing`."""
    from simulator.simulate import simulate

    landing = tmp_path_factory.mktemp("sim_landing")
    simulate(landing, SIM_START, SIM_DAYS, scale="tiny", seed=SIM_SEED)
    settings = new_settings(tmp_path_factory.mktemp("sim_home"), landing)
    run_ok(settings, SIM_START, SIM_END)
    return settings


def pytest_configure(config):
    # Dagster must never fall back to a shared instance from the developer's environment.
    os.environ.pop("DAGSTER_HOME", None)
