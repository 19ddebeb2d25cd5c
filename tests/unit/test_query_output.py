"""`warehouse query`'s output: a table that fits the terminal and never cuts silently, a count of
every row, CSV and JSON that read back, and DuckDB's error on one line with its hint."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import warnings
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cli import main as cli
from cli.table_output import (
    ELLIPSIS,
    count_line,
    display_width,
    output_format,
    render_records,
    render_table,
    write_csv,
    write_json,
)
from serving.readers import one_line

WAREHOUSE = str(Path(sys.executable).parent / "warehouse")

KPI_COLUMNS = ["date", "paid_orders", "gmv", "aov", "conversion_rate", "new_customers", "platform"]
KPI_ROWS = [
    (date(2026, 3, 1), 100, Decimal("12345.6789"), 123.456789, 0.0312345, 10, "app"),
    (
        date(2026, 3, 2),
        107,
        Decimal("13346.1789"),
        123.79012233333333,
        0.0322345,
        11,
        "web shop with a very long channel name that goes on and on",
    ),
    (date(2026, 3, 3), 114, Decimal("14346.6789"), 124.1235, 0.1 + 0.2, None, "小程序商店"),
    (date(2026, 3, 4), 121, Decimal("15347.1789"), 124.4568, 0.03423, 13, "app"),
    (date(2026, 3, 5), 1234567, Decimal("16347.6789"), 124.7901, 0.03523, 14, "web"),
]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _assert_fits(text: str, width: int) -> None:
    for line in _lines(text):
        assert display_width(line) <= width, (width, line)
        assert "\r" not in line and "\x1b" not in line


# ----------------------------------------------------------------------------- the table


def test_table_fits_the_width_and_aligns():
    text = render_table(KPI_COLUMNS, KPI_ROWS, 5, 100)
    _assert_fits(text, 100)
    header, rule, *body, last = _lines(text)
    assert header.split(" | ")[0].strip() == "date" and set(rule) <= {"-", "+"}
    assert len(body) == 5 and last == "5 rows"
    first = [cell.strip() for cell in body[0].split(" | ")]
    assert first[:6] == ["2026-03-01", "100", "12345.6789", "123.4568", "0.03123", "10"]
    # numbers right-aligned, text left-aligned
    assert body[0].split(" | ")[1].startswith(" ") and body[0].split(" | ")[1].endswith("100")
    assert body[0].split(" | ")[0] == "2026-03-01"


def test_numbers_are_plain_and_free_of_float_noise():
    text = render_table(["n", "x"], [(1234567, 0.1 + 0.2), (5, 2.0)], 2, 80)
    assert "1234567" in text and "1,234,567" not in text
    assert "0.30000000000000004" not in text
    cells = [line.split(" | ")[1].strip() for line in _lines(text)[2:4]]
    assert cells == ["0.3", "2.0"]  # one number of decimals per column: the points line up


def test_long_text_is_cut_with_a_visible_mark():
    long = "x" * 200
    text = render_table(["id", "note"], [(1, long), (2, "short")], 2, 60)
    _assert_fits(text, 60)
    row = _lines(text)[2]
    assert row.endswith(ELLIPSIS) and long not in text
    assert _lines(text)[3].endswith("short")


def test_no_cell_is_cut_silently():
    """Every cell of a narrow table is the cell of an unbounded one, or its head and `…`."""

    def cells(text: str) -> list[list[str]]:
        return [[cell.strip() for cell in line.split(" | ")] for line in _lines(text)]

    wide = cells(render_table(KPI_COLUMNS, KPI_ROWS, 5, 1000))
    narrow_text = render_table(KPI_COLUMNS, KPI_ROWS, 5, 80)
    _assert_fits(narrow_text, 80)
    narrow = cells(narrow_text)
    assert len(narrow) == len(wide)
    cut = 0
    for full_row, row in zip(wide[2:-1] + wide[:1], narrow[2:-1] + narrow[:1]):
        for full, cell in zip(full_row, row):
            if cell != full:
                assert cell.endswith(ELLIPSIS) and full.startswith(cell[:-1]), (full, cell)
                cut += 1
    assert cut > 0


def test_wide_characters_count_two_columns():
    text = render_table(["name", "n"], [("小程序商店" * 10, 1)], 1, 40)
    _assert_fits(text, 40)
    assert ELLIPSIS in text


def test_null_is_shown_as_null():
    text = render_table(["a", "b"], [(None, "x"), (1, None)], 2, 80)
    body = _lines(text)[2:4]
    assert body[0].split(" | ")[0].strip() == "null" and body[1].split(" | ")[1].strip() == "null"


def test_dates_and_timestamps_are_iso():
    text = render_table(["d", "ts"], [(date(2026, 3, 1), datetime(2026, 3, 1, 8, 30, 5))], 1, 80)
    assert "2026-03-01" in text and "2026-03-01T08:30:05" in text


def test_control_characters_are_escaped():
    text = render_table(["t"], [("red \x1b[31mALERT\r\nnext\ttab",)], 1, 80)
    assert "\x1b" not in text and "\r" not in text and "\t" not in text
    assert "\\x1b[31mALERT\\r\\nnext\\ttab" in text
    assert len(_lines(text)) == 4  # header, rule, one row, count


@pytest.mark.parametrize(
    ("total", "shown", "expected"),
    [
        (1234, 50, "1,234 rows (50 shown)"),
        (5, 5, "5 rows"),
        (1, 1, "1 row"),
        (0, 0, "0 rows"),
        (2, 1, "2 rows (1 shown)"),
    ],
)
def test_count_line(total, shown, expected):
    assert count_line(total, shown) == expected


def test_count_line_counts_rows_not_shown():
    rows = [(i, f"row {i}") for i in range(50)]
    text = render_table(["i", "label"], rows, 1234, 120)
    assert _lines(text)[-1] == "1,234 rows (50 shown)"
    assert len(_lines(text)) == 2 + 50 + 1


def test_too_wide_falls_back_to_one_block_per_record():
    columns = [f"column_{i:02d}" for i in range(20)]
    rows = [tuple(f"value {r}-{i}" for i in range(20)) for r in range(3)]
    text = render_table(columns, rows, 7, 80)
    _assert_fits(text, 80)
    lines = _lines(text)
    assert lines[0].startswith("-[ RECORD 1 ]-")
    assert lines[1] == "column_00 | value 0-0"
    assert sum(line.startswith("-[ RECORD ") for line in lines) == 3
    assert lines[-1] == "7 rows (3 shown)"


def test_records_wrap_long_values_and_cut_the_rest_with_a_mark():
    text = render_records(["id", "note"], [(1, "y" * 1000)], 1, 40)
    _assert_fits(text, 40)
    note = [line for line in _lines(text) if line.startswith(("note", "    "))]
    assert 1 < len(note) <= 6 and note[-1].endswith(ELLIPSIS)
    assert render_records(["id"], [(None,)], 1, 40).split("\n")[1] == "id | null"


def test_no_columns_and_no_rows():
    assert render_table([], [], 0, 80) == "0 rows"
    assert _lines(render_table(["a"], [], 0, 80)) == ["a", "-", "0 rows"]


# ----------------------------------------------------------------------------- CSV and JSON

ODD_ROWS = [
    (1, 'comma, "quote"', Decimal("2.50"), date(2026, 3, 1), datetime(2026, 3, 1, 8, 0), 0.1 + 0.2, True),
    (2, "line\nbreak", None, None, None, None, False),
]
ODD_COLUMNS = ["id", "text", "amount", "day", "at", "rate", "flag"]


def test_csv_round_trips_through_the_csv_module():
    out = io.StringIO(newline="")
    assert write_csv(ODD_COLUMNS, iter(ODD_ROWS), out) == 2
    assert out.getvalue().endswith("\r\n")  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[0] == ODD_COLUMNS
    assert rows[1] == [
        "1",
        'comma, "quote"',
        "2.50",
        "2026-03-01",
        "2026-03-01T08:00:00",
        "0.30000000000000004",
        "true",
    ]
    assert rows[2] == ["2", "line\nbreak", "", "", "", "", "false"]


def test_json_round_trips_through_the_json_module():
    out = io.StringIO()
    assert write_json(ODD_COLUMNS, iter(ODD_ROWS), out) == 2
    records = json.loads(out.getvalue(), parse_float=Decimal)
    assert records[0] == {
        "id": 1,
        "text": 'comma, "quote"',
        "amount": Decimal("2.50"),
        "day": "2026-03-01",
        "at": "2026-03-01T08:00:00",
        "rate": Decimal("0.30000000000000004"),
        "flag": True,
    }
    assert records[1] == {
        "id": 2,
        "text": "line\nbreak",
        "amount": None,
        "day": None,
        "at": None,
        "rate": None,
        "flag": False,
    }
    empty = io.StringIO()
    write_json(["a"], [], empty)
    assert json.loads(empty.getvalue()) == []


def test_json_keeps_repeated_column_names_apart_and_nan_as_null():
    out = io.StringIO()
    write_json(["a", "a"], [(1, float("nan"))], out)
    assert json.loads(out.getvalue()) == [{"a": 1, "a_2": None}]


def test_output_format():
    assert output_format(False, False, None) == "csv"
    assert output_format(False, False, Path("x.json")) == "json"
    assert output_format(False, False, Path("x.txt")) == "csv"
    assert output_format(True, False, Path("x.json")) == "csv"
    assert output_format(False, True, Path("x.csv")) == "json"


def test_duckdb_message_becomes_one_line_with_its_hint():
    message = (
        'Catalog Error: Table with name kpi_dail does not exist!\nDid you mean "marts.kpi_daily"?'
        "\n\nLINE 1: select\n        ^"
    )
    assert one_line(message) == (
        'Catalog Error: Table with name kpi_dail does not exist! Did you mean "marts.kpi_daily"? LINE 1: select'
    )


# ----------------------------------------------------------------------------- the real command


@pytest.fixture
def serving_home(tmp_path, monkeypatch):
    """A warehouse home with a small published serving database (no pipeline run)."""
    home = tmp_path / "home"
    home.mkdir()
    con = duckdb.connect(str(home / "serving.duckdb"))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ops")
        con.execute("CREATE TABLE ops.publication AS SELECT 'run-1' AS run_id, 2 AS tables, now() AS published_at")
        con.execute("""
            CREATE TABLE marts.kpi_daily AS SELECT
                DATE '2026-03-01' + i::INTEGER AS date, 100 + i * 7 AS paid_orders,
                (12345.6789 + i * 1000.5)::DECIMAL(18, 4) AS gmv, 123.456789 + i / 3 AS aov,
                0.0312345 + i / 1000 AS conversion_rate,
                CASE WHEN i = 2 THEN NULL ELSE 10 + i END AS new_customers,
                CASE WHEN i = 1 THEN repeat('long channel name ', 10) ELSE 'app' END AS platform
            FROM range(5) AS t(i)""")
        con.execute(
            "CREATE TABLE marts.orders AS SELECT i AS order_id, 'order ' || i AS label FROM range(1234) AS t(i)"
        )
    finally:
        con.close()
    for name in ("WAREHOUSE_HOME", "WAREHOUSE_LANDING", "DAGSTER_HOME", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    # the command sets up logging into this home for the process: undo it after the test
    root = logging.getLogger()
    handlers, level, showwarning = list(root.handlers), root.level, warnings.showwarning
    yield home
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    warnings.showwarning = showwarning


def _query(*args: str, columns: int = 100):
    return CliRunner().invoke(cli.main, ["query", *args], env={"COLUMNS": str(columns)})


def test_cli_table_fits_and_counts(serving_home):
    result = _query("SELECT * FROM marts.kpi_daily ORDER BY date")
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout.rstrip("\n"), 100)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("date") and lines[-1] == "5 rows"
    assert "null" in lines[4] and ELLIPSIS in lines[3]


def test_cli_shows_max_rows_but_counts_all(serving_home):
    result = _query("SELECT * FROM marts.orders ORDER BY order_id")
    assert result.stdout.splitlines()[-1] == "1,234 rows (50 shown)"
    assert len(result.stdout.splitlines()) == 53
    result = _query("SELECT * FROM marts.orders", "--max-rows", "3")
    assert result.stdout.splitlines()[-1] == "1,234 rows (3 shown)"
    result = _query("SELECT * FROM marts.orders", "--max-rows", "0")
    assert result.stdout.splitlines()[-1] == "1,234 rows"


def test_cli_expanded_mode_on_a_narrow_terminal(serving_home):
    result = _query("SELECT * FROM marts.kpi_daily ORDER BY date", columns=50)
    assert result.exit_code == 0, result.output
    _assert_fits(result.stdout.rstrip("\n"), 50)
    assert result.stdout.startswith("-[ RECORD 1 ]-") and "\nplatform        | app\n" in result.stdout


def test_cli_csv_and_json_carry_every_row(serving_home):
    result = _query("SELECT * FROM marts.orders ORDER BY order_id", "--csv")
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == ["order_id", "label"] and len(rows) == 1 + 1234 and rows[-1] == ["1233", "order 1233"]
    result = _query("SELECT * FROM marts.kpi_daily ORDER BY date", "--json")
    records = json.loads(result.stdout)
    assert len(records) == 5 and records[0]["date"] == "2026-03-01" and records[0]["gmv"] == 12345.6789
    assert records[2]["new_customers"] is None
    assert _query("SELECT 1", "--csv", "--json").exit_code == 2


def test_cli_out_writes_a_file_and_says_so(serving_home, tmp_path):
    for name, load in (("orders.json", json.load), ("orders.csv", lambda f: list(csv.DictReader(f)))):
        target = tmp_path / name
        result = _query("SELECT * FROM marts.orders", "--out", str(target))
        assert result.exit_code == 0 and result.stdout == ""
        assert result.stderr.strip() == f"wrote 1,234 rows to {target}"
        with open(target, newline="", encoding="utf-8") as handle:
            assert len(load(handle)) == 1234


def test_cli_help_names_the_options(serving_home):
    result = _query("--help")
    for option in ("--csv", "--json", "--out", "--max-rows"):
        assert option in result.stdout


def test_cli_error_is_one_line_with_duckdbs_hint(serving_home):
    """The real console script: a misspelled table name gets DuckDB's suggestion, on one line."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "WAREHOUSE_HOME": str(serving_home),
        "HOME": str(serving_home),
    }
    result = subprocess.run(
        [WAREHOUSE, "query", "SELECT * FROM kpi_dail"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "kpi_dail does not exist" in lines[0] and 'Did you mean "marts.kpi_daily"' in lines[0]
