"""Every test in this folder runs the real pipeline: marked `slow` here, by directory, so
`pytest -m "not slow"` runs the unit tests only."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


# The longest files, started first: the suite runs a whole file per worker (`--dist loadfile`), so
# a long file collected last would keep one worker busy after the other has finished.
LONGEST_FIRST = ("test_spark_build.py", "test_personal_data_key.py", "test_incremental.py", "test_fault_tolerance.py")


def pytest_collection_modifyitems(config, items):
    # a conftest's collection hook sees every collected item, not only this folder's
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)
