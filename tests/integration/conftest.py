"""Every test in this folder runs the real pipeline: marked `slow` here, by directory, so
`pytest -m "not slow"` runs the unit tests only."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # a conftest's collection hook sees every collected item, not only this folder's
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
