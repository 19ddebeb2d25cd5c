"""How `warehouse query` shows a result: a plain-text table that fits the terminal, or CSV / JSON.

Pure functions over `columns` (names) and `rows` (tuples of Python values as DuckDB returns them).

The table never hides anything silently: text cut to fit ends in `…`, the last line counts every
row of the result (`1,234 rows (50 shown)`), NULL reads `null`, and control characters in the data
are shown escaped (`\\n`, `\\x1b`), so the output never carries ANSI escapes or carriage returns.
When the columns cannot fit the width even shrunk to MIN_COLUMN_WIDTH, each row becomes a block of
`column | value` lines instead (like psql's expanded mode).

CSV and JSON carry every row and the full value: floats at full precision, decimals exact.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TextIO

ELLIPSIS = "…"
MIN_COLUMN_WIDTH = 8
DEFAULT_WIDTH = 120
SEPARATOR = " | "
MAX_VALUE_LINES = 6  # a long value in a record block wraps over at most this many lines, then is cut
_MAX_FLOAT_DECIMALS = 4  # significant decimals shown for a float (CSV/JSON keep full precision)

_RIGHT_ALIGNED = (int, float, Decimal)
# values whose text must never be cut: a column of them keeps its full width (its header may be cut)
_RIGID = (int, float, Decimal, bool, date, time, timedelta, uuid.UUID)


def terminal_width() -> int:
    """Columns of the terminal; 120 when the output is not a terminal."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def count_line(total_rows: int, shown: int) -> str:
    """`1 row`, `12 rows`, or `1,234 rows (50 shown)` when not every row is shown."""
    text = f"{total_rows:,} {'row' if total_rows == 1 else 'rows'}"
    return text if shown >= total_rows else f"{text} ({shown:,} shown)"


# ----------------------------------------------------------------------------- values as text


def _escape(text: str) -> str:
    """Control characters made visible: a table cell is one line and carries no terminal codes."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() or unicodedata.category(char) == "Zs":
            out.append(char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def _float_decimals(value: float) -> int | None:
    """Decimals that show `value` without float noise (4 significant decimals); None: use e-notation."""
    magnitude = abs(value)
    if magnitude == 0 or not math.isfinite(value):
        return 0
    if magnitude >= 1e15 or magnitude < 1e-9:
        return None
    if magnitude >= 1:
        digits = _MAX_FLOAT_DECIMALS
    else:  # keep 4 significant digits of a small fraction: 0.000123456 -> 0.0001235
        digits = _MAX_FLOAT_DECIMALS - 1 - math.floor(math.log10(magnitude))
    text = f"{magnitude:.{digits}f}"
    if "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def _format_float(value: float, decimals: int) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if _float_decimals(value) is None:
        return f"{value:.5g}"
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.00"


def _plain_decimal(value: Decimal) -> str:
    """The digits of a decimal, never in e-notation (`0.0000001`, not `1E-7`)."""
    text = str(value)
    return format(value, "f") if "E" in text and value.is_finite() else text


def _iso(value: date | time) -> str:
    return value.isoformat()


def _json_float(value: float) -> str:
    return repr(value) if math.isfinite(value) else "null"


def _json_decimal(value: Decimal) -> str:
    return _plain_decimal(value) if value.is_finite() else "null"


def _json_iso(value: date | time) -> str:
    return '"' + value.isoformat() + '"'


_encode_string = json.encoder.encode_basestring  # JSON string, non-ASCII kept as is

# text of a value by its exact type: the fast path for the common types of a result
_JSON_BY_TYPE = {
    type(None): lambda value: "null",
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
    float: _json_float,
    Decimal: _json_decimal,
    str: _encode_string,
    date: _json_iso,
    datetime: _json_iso,
    time: _json_iso,
}


def _json_text(value) -> str:
    """JSON text of one value: dates ISO strings, decimals exact numbers, NaN/inf null."""
    fast = _JSON_BY_TYPE.get(type(value))
    if fast is not None:
        return fast(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_encode_string(str(key))}: {_json_text(item)}" for key, item in value.items()) + "}"
    return _encode_string(_scalar_text(value))


_TEXT_BY_TYPE = {
    str: str,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    float: float.__repr__,
    Decimal: _plain_decimal,
    date: _iso,
    datetime: _iso,
    time: _iso,
}


def _scalar_text(value) -> str:
    """Full text of a value for CSV and for JSON strings (no rounding, no cutting)."""
    fast = _TEXT_BY_TYPE.get(type(value))
    if fast is not None:
        return fast(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, (date, time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (list, tuple, dict)):
        return _json_text(value)
    return str(value)


def _cell_text(value, float_decimals: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return _format_float(value, float_decimals)
    return _escape(_scalar_text(value))


class _Column:
    """One column of the shown rows as text, with how it aligns and whether it may be cut."""

    def __init__(self, name: str, values: list):
        present = [value for value in values if value is not None]
        self.name = _escape(str(name))
        self.right = bool(present) and all(
            isinstance(value, _RIGHT_ALIGNED) and not isinstance(value, bool) for value in present
        )
        self.rigid = bool(present) and all(isinstance(value, _RIGID) for value in present)
        decimals = [_float_decimals(value) for value in present if isinstance(value, float)]
        float_decimals = max((d for d in decimals if d is not None), default=0)
        self.cells = [_cell_text(value, float_decimals) for value in values]
        self.header_width = display_width(self.name)
        self.cell_width = max((display_width(cell) for cell in self.cells), default=0)
        self.natural = max(self.header_width, self.cell_width, 1)
        if self.rigid:  # numbers and dates are never cut; only a long header gives way
            self.floor = max(self.cell_width, min(self.header_width, MIN_COLUMN_WIDTH), 1)
        else:
            self.floor = min(self.natural, MIN_COLUMN_WIDTH)


def _columns(columns: Sequence[str], rows: Sequence[tuple]) -> list[_Column]:
    return [_Column(name, [row[i] for row in rows]) for i, name in enumerate(columns)]


# ----------------------------------------------------------------------------- widths


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide characters count two."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _take(text: str, width: int) -> tuple[str, str]:
    """The longest head of `text` that fits `width` columns, and the rest."""
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > width:
            return text[:index], text[index:]
    return text, ""


def fit(text: str, width: int) -> str:
    """`text` if it fits `width` columns, else its head and `…` within `width`."""
    if display_width(text) <= width:
        return text
    return _take(text, max(width - 1, 0))[0] + ELLIPSIS


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def _allocate(columns: list[_Column], available: int) -> list[int] | None:
    """Column widths within `available`, or None when even the floors do not fit.

    Every column gets its floor; the spare space first makes whole the columns that need the least
    to show everything (so as few columns as possible are cut), then goes in equal shares to the
    rest."""
    widths = [column.floor for column in columns]
    spare = available - sum(widths)
    if spare < 0:
        return None
    wanting = sorted(
        (i for i, column in enumerate(columns) if column.natural > widths[i]),
        key=lambda i: columns[i].natural - widths[i],
    )
    while wanting and columns[wanting[0]].natural - widths[wanting[0]] <= spare:
        i = wanting.pop(0)
        spare -= columns[i].natural - widths[i]
        widths[i] = columns[i].natural
    wanting.sort()
    while spare > 0 and wanting:
        share = spare // len(wanting)
        if share == 0:  # fewer spare columns than columns wanting more: leftmost first
            for i in wanting[:spare]:
                widths[i] += 1
            break
        for i in wanting:
            grow = min(share, columns[i].natural - widths[i])
            widths[i] += grow
            spare -= grow
        wanting = [i for i in wanting if columns[i].natural > widths[i]]
    return widths


# ----------------------------------------------------------------------------- the two layouts


def render_table(columns: Sequence[str], rows: Sequence[tuple], total_rows: int, width: int) -> str:
    """`rows` (the shown ones) as a table within `width` columns, then the count line.

    Falls back to one block per row (render_records) when the columns cannot fit even shrunk to
    MIN_COLUMN_WIDTH each."""
    total_rows = max(total_rows, len(rows))
    if not columns:
        return count_line(total_rows, len(rows))
    cols = _columns(columns, rows)
    widths = _allocate(cols, width - len(SEPARATOR) * (len(cols) - 1))
    if widths is None:
        return _records(cols, len(rows), total_rows, width)
    lines = [
        SEPARATOR.join(_pad(fit(col.name, w), w, col.right) for col, w in zip(cols, widths)).rstrip(),
        "-+-".join("-" * w for w in widths),
    ]
    for r in range(len(rows)):
        lines.append(SEPARATOR.join(_pad(fit(col.cells[r], w), w, col.right) for col, w in zip(cols, widths)).rstrip())
    lines.append(count_line(total_rows, len(rows)))
    return "\n".join(lines)


def render_records(columns: Sequence[str], rows: Sequence[tuple], total_rows: int, width: int) -> str:
    """`rows` as blocks of `column | value` lines (`-[ RECORD 1 ]-` on top), then the count line.

    A value longer than the width wraps over up to MAX_VALUE_LINES lines and is cut with `…` after."""
    total_rows = max(total_rows, len(rows))
    if not columns:
        return count_line(total_rows, len(rows))
    return _records(_columns(columns, rows), len(rows), total_rows, width)


def _records(cols: list[_Column], shown: int, total_rows: int, width: int) -> str:
    label_width = min(max(col.header_width for col in cols), max(width // 3, MIN_COLUMN_WIDTH))
    value_width = max(width - label_width - len(SEPARATOR), MIN_COLUMN_WIDTH)
    blocks = []
    for r in range(shown):
        block = []
        for col in cols:
            label = _pad(fit(col.name, label_width), label_width, False)
            for i, part in enumerate(_wrap(col.cells[r], value_width)):
                block.append(f"{label if i == 0 else ' ' * label_width}{SEPARATOR}{part}".rstrip())
        blocks.append(block)
    used = max((display_width(line) for block in blocks for line in block), default=0)
    lines: list[str] = []
    for r, block in enumerate(blocks):
        title = f"-[ RECORD {r + 1} ]"
        bar = ["-"] * max(used, label_width + 2, len(title))
        if len(title) <= label_width:  # the `+` over the value separator, as psql does
            bar[label_width + 1] = "+"
        lines.append(title + "".join(bar[len(title) :]))
        lines.extend(block)
    lines.append(count_line(total_rows, shown))
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    parts = []
    while True:
        if len(parts) == MAX_VALUE_LINES - 1:
            parts.append(fit(text, width))
            return parts
        head, text = _take(text, width)
        parts.append(head)
        if not text:
            return parts


# ----------------------------------------------------------------------------- CSV and JSON


def write_csv(columns: Sequence[str], rows: Iterable[tuple], out: TextIO) -> int:
    """Header and every row as CSV (RFC 4180: quoted as needed, CRLF line ends); NULL is an empty
    field, floats keep full precision, dates and timestamps are ISO. Returns the number of rows.

    `out` is a file opened with newline="" or a stream that does not translate line ends."""
    writer = csv.writer(out)
    writer.writerow(columns)
    plain = _CSV_PLAIN  # None (an empty field), int, float (repr) and str: the csv module writes them as they are
    text = _scalar_text
    count = 0
    for row in rows:
        writer.writerow([value if type(value) in plain else text(value) for value in row])
        count += 1
    return count


_CSV_PLAIN = frozenset({type(None), int, float, str})


def _unique(columns: Sequence[str]) -> list[str]:
    """Column names as distinct JSON keys: a repeated name gets `_2`, `_3`, ..."""
    seen: set[str] = set()
    keys = []
    for name in columns:
        key, n = str(name), 1
        while key in seen:
            n += 1
            key = f"{name}_{n}"
        seen.add(key)
        keys.append(key)
    return keys


def write_json(columns: Sequence[str], rows: Iterable[tuple], out: TextIO) -> int:
    """Every row as a JSON array of objects, one object a line; dates and timestamps are ISO
    strings, decimals exact numbers, NULL (and NaN) null. Returns the number of rows."""
    keys = [json.dumps(key, ensure_ascii=False) for key in _unique(columns)]
    count = 0
    out.write("[")
    for row in rows:
        fields = ", ".join(f"{key}: {_json_text(value)}" for key, value in zip(keys, row))
        out.write(("," if count else "") + "\n  {" + fields + "}")
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


WRITERS = {"csv": write_csv, "json": write_json}


def output_format(as_csv: bool, as_json: bool, out: Path | None) -> str:
    """`csv` or `json`: the flag if given, else the extension of `out` (.json), else csv."""
    if as_csv and as_json:
        raise ValueError("give either --csv or --json")
    if as_csv or as_json:
        return "csv" if as_csv else "json"
    return "json" if out is not None and out.suffix.lower() == ".json" else "csv"
