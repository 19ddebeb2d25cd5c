"""Where the repository, the test suite and its fixture shops are (computed from this file, so
they hold wherever the checkout is)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
