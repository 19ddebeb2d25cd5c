"""Which rows a run's data tests read: every row (a full pass), or only the days the run rebuilt
in the incremental models that declare them (macros/test_scope.sql). A daily run of a year-old
shop rebuilds a few days; testing all of history again cost most of its data tests' time.

A run tests the changed days only when the rows it did not touch are known good: a full pass
passed since, nothing failed after it, and the tests themselves did not change. Otherwise, when
the run has its own reason (a full refresh, another lookback), and at least every
`full_tests_every_days` days (a setting), it runs a full pass.
Each run's pass is recorded in ops.data_test_passes.

The compiled tests read every row; the condition that keeps a model's rebuilt days is in them
as a comment between two marks (macros/test_scope.sql), which `scoped_sql` takes away for a
pass over the changed days."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

FULL, CHANGED_DAYS = "full", "changed days"

# around the condition on a model's rebuilt days in a compiled test (macros/test_scope.sql)
CHANGED_DAYS_MARKS = ("/* changed days only:", ":changed days only */")
PASSES_TABLE = "ops.data_test_passes"


def _ensure_tables(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {PASSES_TABLE} (run_id VARCHAR NOT NULL, finished_at TIMESTAMPTZ NOT NULL, "
        "scope VARCHAR NOT NULL, tests_digest VARCHAR NOT NULL, tests INTEGER NOT NULL, failed INTEGER NOT NULL)"
    )


def tests_digest(tests: Iterable) -> str:
    """What the tests are: a new release or other settings make a new digest, hence a full pass."""
    digest = hashlib.sha256()
    for test in sorted(tests, key=lambda t: t.unique_id):
        digest.update(f"{test.unique_id}\n{test.sql}\n".encode())
    return digest.hexdigest()[:16]


def choose_scope(con, full_because: str | None, every_days: int, digest: str, now: datetime) -> tuple[str, str]:
    """(FULL or CHANGED_DAYS, the reason in words) for the data tests of a run; `full_because`:
    the run's own reason for a full pass (a full refresh), if any."""
    if full_because:
        return FULL, full_because
    if every_days <= 0:
        return FULL, "a full pass every run (full_tests_every_days = 0)"
    _ensure_tables(con)
    last = con.execute(f"SELECT failed FROM {PASSES_TABLE} ORDER BY finished_at DESC LIMIT 1").fetchone()
    full = con.execute(
        f"SELECT finished_at, tests_digest FROM {PASSES_TABLE} WHERE scope = ? ORDER BY finished_at DESC LIMIT 1",
        [FULL],
    ).fetchone()
    if last is None or full is None:
        return FULL, "no full pass yet"
    if last[0]:
        return FULL, "the last run's build or tests failed"
    if full[1] != digest:
        return FULL, "the tests changed since the last full pass"
    if now - full[0] >= timedelta(days=every_days):
        return FULL, f"the last full pass is {every_days} days old or more"
    return CHANGED_DAYS, f"full pass of {full[0]:%Y-%m-%d %H:%M} UTC"


def scoped_sql(sql: str, scope: str) -> str:
    """A compiled test's SQL for a pass of `scope`: over the changed days, with the conditions on
    the rebuilt days made part of the query; as compiled (every row) for a full pass."""
    if scope != CHANGED_DAYS:
        return sql
    opening, closing = CHANGED_DAYS_MARKS
    return sql.replace(opening, "").replace(closing, "")


def record_pass(con, run_id: str, scope: str, digest: str, tests: int, failed: int, now: datetime) -> None:
    _ensure_tables(con)
    con.execute(f"INSERT INTO {PASSES_TABLE} VALUES (?, ?, ?, ?, ?, ?)", [run_id, now, scope, digest, tests, failed])
