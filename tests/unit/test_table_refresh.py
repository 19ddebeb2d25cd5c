"""A publish rewrites only what changed: a table or the days of it whose content differs; the
outcome equals a fresh copy whatever changed (rows added, removed, edited, NULL days, columns)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from serving.publish import publish
from serving.table_refresh import DIGESTS_SCHEMA, digests_name, refresh_table


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA s")
    con.execute(
        "CREATE TABLE src AS SELECT DATE '2026-03-01' + INTERVAL (i % 5) DAY AS day, i, i * 1.5 AS x "
        "FROM range(50) t(i)"
    )
    yield con
    con.close()


def _rows(con, relation):
    return sorted(con.execute(f"SELECT * FROM {relation}").fetchall(), key=repr)


def test_a_new_table_is_created_and_an_unchanged_one_kept(con):
    assert refresh_table(con, "s", "t", "SELECT * FROM src").how == "created"
    assert refresh_table(con, "s", "t", "SELECT * FROM src").how == "kept"
    assert refresh_table(con, "s", "t", "SELECT * FROM src", "day").how == "kept"


@pytest.mark.parametrize(
    "change, days",
    [
        ("UPDATE src SET x = -1 WHERE i = 7", 1),  # one row edited: its day only
        ("DELETE FROM src WHERE day = DATE '2026-03-02'", 1),  # a day that lost every row
        ("INSERT INTO src VALUES (DATE '2026-04-01', 100, 0), (DATE '2026-03-01', 101, 0)", 2),  # new and grown
        ("INSERT INTO src VALUES (NULL, 102, 0)", 1),  # rows without a day are a day of their own
        ("INSERT INTO src SELECT * FROM src WHERE i = 3", 1),  # an exact duplicate row counts
    ],
)
def test_only_the_days_that_changed_are_rewritten_and_the_table_equals_the_source(con, change, days):
    refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    con.execute(change)
    refreshed = refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    assert refreshed.how == f"{days} days"
    assert _rows(con, 's."t"') == _rows(con, "src")
    assert refreshed.rows == con.execute("SELECT count(*) FROM src").fetchone()[0]
    assert refresh_table(con, "s", "t", "SELECT * FROM src", "day").how == "kept"


def _stored_digests(con, table="t"):
    return sorted(con.execute(f'SELECT * FROM {DIGESTS_SCHEMA}."{digests_name("s", table)}"').fetchall(), key=repr)


def _digests_of_rows(con, relation, day="day"):
    return sorted(
        con.execute(
            f"SELECT {day}, count(*), coalesce(sum(hash(r)::HUGEINT), 0) FROM {relation} AS r GROUP BY ALL"
        ).fetchall(),
        key=repr,
    )


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE src SET x = -1 WHERE i = 7",
        "DELETE FROM src WHERE day = DATE '2026-03-02'",
        "INSERT INTO src VALUES (NULL, 102, 0)",
        "ALTER TABLE src ADD COLUMN y INTEGER DEFAULT 1",  # the table is replaced
    ],
)
def test_the_kept_digests_are_those_of_the_rows_the_table_holds(con, change):
    refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    assert _stored_digests(con) == _digests_of_rows(con, 's."t"')
    con.execute(change)
    refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    assert _stored_digests(con) == _digests_of_rows(con, 's."t"') == _digests_of_rows(con, "src")


def test_a_table_without_kept_digests_is_digested_from_its_rows(con):
    """A serving file written before the digests were kept: the days that differ are still found."""
    refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    con.execute(f'DROP TABLE {DIGESTS_SCHEMA}."{digests_name("s", "t")}"')
    con.execute("UPDATE src SET x = -1 WHERE i = 7")
    assert refresh_table(con, "s", "t", "SELECT * FROM src", "day").how == "1 days"
    assert _rows(con, 's."t"') == _rows(con, "src")
    assert _stored_digests(con) == _digests_of_rows(con, "src")


def test_a_changed_table_without_a_day_column_is_replaced(con):
    refresh_table(con, "s", "t", "SELECT * FROM src")
    con.execute("UPDATE src SET x = 0 WHERE i = 1")
    assert refresh_table(con, "s", "t", "SELECT * FROM src").how == "replaced"
    assert _rows(con, 's."t"') == _rows(con, "src")


def test_a_table_whose_columns_changed_is_replaced(con):
    refresh_table(con, "s", "t", "SELECT * FROM src", "day")
    con.execute("ALTER TABLE src ADD COLUMN y INTEGER DEFAULT 1")
    assert refresh_table(con, "s", "t", "SELECT * FROM src", "day").how == "replaced"
    assert _rows(con, 's."t"') == _rows(con, "src")
    con.execute("ALTER TABLE src ALTER COLUMN y TYPE BIGINT")
    assert refresh_table(con, "s", "t", "SELECT * FROM src", "day").how == "replaced"
    assert (
        con.execute("SELECT data_type FROM duckdb_columns() WHERE column_name = 'y' AND table_name = 't'").fetchone()[0]
        == "BIGINT"
    )


def _working(path, day_rows: int, with_old_mart: bool):
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS intermediate")
    con.execute(
        f"CREATE OR REPLACE TABLE intermediate.int_sessions AS SELECT DATE '2026-03-01' + INTERVAL (i % 3) DAY AS "
        f"session_date, 's' || i AS session_id, 'c' || i AS customer_id FROM range({day_rows}) t(i)"
    )
    con.execute(f"CREATE OR REPLACE TABLE marts.kpi_daily AS SELECT DATE '2026-03-01' AS date, {day_rows} AS sessions")
    if with_old_mart:
        con.execute("CREATE OR REPLACE TABLE marts.retired AS SELECT 1 AS x")
    else:
        con.execute("DROP TABLE IF EXISTS marts.retired")
    con.close()


def _served(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE (schema_name, table_name) "
            "NOT IN (('ops', 'publication')) ORDER BY ALL"
        ).fetchall()
        return {t: _rows(con, f'{t[0]}."{t[1]}"') for t in tables}
    finally:
        con.close()


def test_a_publish_over_the_last_one_equals_a_fresh_publish(tmp_path):
    work, serving, fresh = tmp_path / "w.duckdb", tmp_path / "serving.duckdb", tmp_path / "fresh.duckdb"
    _working(work, 30, with_old_mart=True)
    publish(work, serving, "run1")
    assert ("marts", "retired") in _served(serving)
    _working(work, 40, with_old_mart=False)
    publish(work, serving, "run2")
    publish(work, fresh, "fresh")
    assert _served(serving) == _served(fresh)
    assert ("marts", "retired") not in _served(serving)
    con = duckdb.connect(str(serving), read_only=True)
    columns = {
        r[0]
        for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'int_sessions'").fetchall()
    }
    assert con.execute("SELECT run_id FROM ops.publication").fetchall() == [("run2",)]
    con.close()
    assert columns == {"session_date", "session_id"}  # customer ids stay in the working database


def test_a_serving_file_that_cannot_be_opened_is_replaced_by_a_fresh_publish(tmp_path):
    work, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    _working(work, 10, with_old_mart=False)
    serving.write_bytes(b"not a database")
    publish(work, serving, "run1")
    assert _served(serving)[("marts", "kpi_daily")] == [(date(2026, 3, 1), 10)]
