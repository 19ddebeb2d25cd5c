"""When a run's data tests may read only the days it rebuilt: after a full pass that passed, with
the same tests, less than full_tests_every_days ago, and nothing failed since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from transform.data_test_scope import CHANGED_DAYS, CHANGED_DAYS_MARKS, FULL, choose_scope, record_pass, scoped_sql

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


@pytest.fixture
def con():
    con = duckdb.connect()
    yield con
    con.close()


def _scope(con, full_because=None, every_days=7, digest="d1", now=NOW):
    return choose_scope(con, full_because, every_days, digest, now)[0]


def test_a_new_warehouse_starts_with_a_full_pass_then_tests_changed_days(con):
    assert _scope(con) == FULL
    record_pass(con, "r1", FULL, "d1", 300, 0, NOW - timedelta(days=1))
    assert _scope(con) == CHANGED_DAYS
    record_pass(con, "r2", CHANGED_DAYS, "d1", 297, 0, NOW - timedelta(hours=1))
    assert _scope(con) == CHANGED_DAYS


@pytest.mark.parametrize(
    "case, expected",
    [
        (dict(full_because="full refresh"), FULL),
        (dict(every_days=0), FULL),
        (dict(digest="d2"), FULL),  # a new release or other settings: new tests
        (dict(now=NOW + timedelta(days=6)), FULL),  # the full pass is 7 days old
        (dict(now=NOW + timedelta(days=5)), CHANGED_DAYS),
    ],
)
def test_what_makes_a_full_pass(con, case, expected):
    record_pass(con, "r1", FULL, "d1", 300, 0, NOW - timedelta(days=1))
    assert _scope(con, **case) == expected


def test_a_failure_is_followed_by_full_passes_until_one_passes(con):
    record_pass(con, "r1", FULL, "d1", 300, 0, NOW - timedelta(days=2))
    record_pass(con, "r2", CHANGED_DAYS, "d1", 297, 1, NOW - timedelta(days=1))
    assert _scope(con) == FULL
    record_pass(con, "r3", FULL, "d1", 300, 2, NOW - timedelta(hours=2))
    assert _scope(con) == FULL
    record_pass(con, "r4", FULL, "d1", 300, 0, NOW - timedelta(hours=1))
    assert _scope(con) == CHANGED_DAYS


def test_a_pass_over_the_changed_days_makes_the_commented_condition_part_of_the_query(con):
    con.execute("CREATE TABLE events AS SELECT range AS day FROM range(10)")
    opening, closing = CHANGED_DAYS_MARKS
    # as macros/test_scope.sql compiles it: every row unless the marks are taken away
    sql = f"select count(*) from events where (true {opening} and day in (select 9) {closing})"
    assert con.execute(scoped_sql(sql, FULL)).fetchone() == (10,)
    assert con.execute(scoped_sql(sql, CHANGED_DAYS)).fetchone() == (1,)
