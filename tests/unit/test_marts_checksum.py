"""The marts' content checksum (serving/checksum.py): the same rows in any order give the same
checksum; a changed value, a row more or less, or a duplicated row give another."""

import duckdb

from serving.checksum import marts_checksum


def _checksum(rows: list[tuple], health: str = "run 1") -> str:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.kpi_daily (date DATE, gmv DECIMAL(18,4), rate DOUBLE)")
    con.execute("CREATE TABLE marts.data_health (run_id VARCHAR)")
    con.execute("INSERT INTO marts.data_health VALUES (?)", [health])
    for row in rows:
        con.execute("INSERT INTO marts.kpi_daily VALUES (?, ?, ?)", list(row))
    return marts_checksum(con)


ROWS = [("2026-11-01", "10.5000", 0.25), ("2026-11-02", "0.0000", None), ("2026-11-03", "7.2500", 1e-9)]


def test_same_rows_in_any_order_and_any_run_are_one_version():
    assert _checksum(ROWS) == _checksum(list(reversed(ROWS)), health="run 2")


def test_any_change_of_the_rows_is_another_version():
    base = _checksum(ROWS)
    changed = [ROWS[0], ("2026-11-02", "0.0001", None), ROWS[2]]
    assert _checksum(changed) != base
    assert _checksum(ROWS[:2]) != base
    assert _checksum([*ROWS, ROWS[0]]) != base  # a duplicated row
    assert _checksum([]) != base
