"""Every test in this folder runs the real pipeline: marked `slow` here, by directory, so
`pytest -m "not slow"` runs the unit tests only."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


# The longest files, longest first; the others follow in collection order. The suite runs a whole
# file per worker (`--dist loadfile`, in this order: scripts/test turns off xdist's own reordering by
# test count), so a long file started last would keep one worker busy after the other has finished.
# Seconds each took in a whole suite on 2 cores (2026-12-06), for re-sorting when a file grows.
LONGEST_FIRST = (
    "test_personal_data_key.py",  # 352
    "test_spark_build.py",  # 325
    "test_fault_tolerance.py",  # 245
    "test_pipeline_edge_shop.py",  # 199
    "test_dashboards_browser.py",  # 169
    "test_incremental.py",  # 169
    "test_alert_delivery.py",  # 146
    "test_cli_console.py",  # 145
    "test_sparse_history.py",  # 136
    "test_customers_marts.py",  # 104
    "test_serving_readers.py",  # 104
)


def pytest_collection_modifyitems(config, items):
    # a conftest's collection hook sees every collected item, not only this folder's
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
