"""Publish: a new serving file swapped in atomically; readers keep the version they opened."""

from __future__ import annotations

import duckdb

from serving.publish import REDACTED, publish


def _working(path, gmv: int):
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS ops; CREATE SCHEMA IF NOT EXISTS staging"
    )
    con.execute("CREATE OR REPLACE TABLE marts.kpi_daily AS SELECT DATE '2026-03-01' AS date, ?::INTEGER AS gmv", [gmv])
    con.execute("CREATE OR REPLACE VIEW marts.a_view AS SELECT 1 AS x")
    con.execute("CREATE OR REPLACE TABLE staging.secret AS SELECT 'alice@example.com' AS email")
    con.execute(
        "CREATE OR REPLACE TABLE ops.quarantine AS SELECT * FROM (VALUES "
        "('shop_customers', 'c1,alice@example.com', 'bad_type'), ('finance_fx_rates', '2026-03-01,USD,-1', 'out_of_range')"
        ") t(entity, raw_text, reason)"
    )
    con.close()


def test_publish_copies_marts_and_ops_only(tmp_path):
    work, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    _working(work, 100)
    rows = publish(work, serving, "run1")
    assert rows == {"marts.kpi_daily": 1, "ops.quarantine": 2}
    con = duckdb.connect(str(serving), read_only=True)
    assert con.execute("SELECT gmv FROM marts.kpi_daily").fetchall() == [(100,)]
    assert con.execute("SELECT run_id, tables FROM ops.publication").fetchall() == [("run1", 2)]
    schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    assert schemas == {"marts", "ops"}
    quarantine = dict(con.execute("SELECT entity, raw_text FROM ops.quarantine").fetchall())
    assert quarantine == {"shop_customers": REDACTED, "finance_fx_rates": "2026-03-01,USD,-1"}
    con.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_reader_keeps_its_version_while_a_new_one_is_published(tmp_path):
    work, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    _working(work, 100)
    publish(work, serving, "run1")
    reader = duckdb.connect(str(serving), read_only=True)
    _working(work, 200)
    publish(work, serving, "run2")
    assert reader.execute("SELECT gmv FROM marts.kpi_daily").fetchall() == [(100,)]
    reader.close()
    fresh = duckdb.connect(str(serving), read_only=True)
    assert fresh.execute("SELECT gmv FROM marts.kpi_daily").fetchall() == [(200,)]
    fresh.close()


def test_comments_follow_the_docs_when_a_mart_or_its_description_changes(tmp_path):
    work, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"

    def comments():
        with duckdb.connect(str(serving), read_only=True) as con:
            return con.execute(
                "SELECT t.comment, c.comment FROM duckdb_tables() t JOIN duckdb_columns() c USING (table_name) "
                "WHERE t.table_name = 'kpi_daily' AND c.column_name = 'gmv'"
            ).fetchone()

    _working(work, 100)
    publish(work, serving, "run1", {"kpi_daily": ("Headline KPIs per day.", {"gmv": "Sum of line subtotals."})})
    assert comments() == ("Headline KPIs per day.", "Sum of line subtotals.")
    # the same mart and docs: the comments stay
    publish(work, serving, "run2", {"kpi_daily": ("Headline KPIs per day.", {"gmv": "Sum of line subtotals."})})
    assert comments() == ("Headline KPIs per day.", "Sum of line subtotals.")
    # a rebuilt mart with a new column description: both comments are the docs' again
    _working(work, 200)
    publish(work, serving, "run3", {"kpi_daily": ("Headline KPIs per day.", {"gmv": "Gross merchandise value."})})
    assert comments() == ("Headline KPIs per day.", "Gross merchandise value.")
