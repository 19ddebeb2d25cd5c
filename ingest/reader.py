"""Reading landing files into string frames, one job: bytes in, untyped records out.

Nothing here types or judges a value; `ingest.checks` does that in one DuckDB statement. What
this module decides is whether a file is readable at all (gzip, UTF-8, Parquet, CSV header) and
where each record starts:

- `read_lines` turns a csv/jsonl(.gz) file into its non-blank physical lines with their 1-based
  line numbers. Fast path: polars' multi-threaded CSV reader with the unit separator (0x1f, which
  valid JSON never holds raw) as separator and no quote character, so every physical line is one
  value; it decompresses gzip itself and validates UTF-8. Whenever polars complains (a corrupt
  file, or a line that does contain 0x1f), the strict path (zlib over every gzip member,
  `bytes.decode`, `str.split`) decides and words the rejection.
- CSV records are checked per line with vectorised polars regexes (RFC 4180 on one line) and the
  well-formed ones are parsed again by polars' CSV reader, all values as strings.
- Parquet files are read with pyarrow; `parquet_select` renders every contract column as the text
  the other formats would carry, so all formats meet the same checks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import ENTITIES, SOURCE_FORMATS, Entity

LINE = "_line"  # 1-based physical line number (parquet: row number)
RAW = "_raw"  # the original line (parquet: filled in SQL)
MALFORMED = "_malformed"  # detail of a structurally malformed record, else null
EXTRA = "_extra"  # (jsonl) keys of the record that are not contract fields
PARQUET_ROW = "__ingest_row_number"  # row number column appended to a Parquet table
FILE_IDX, BATCH_DT = "_file_idx", "_batch_dt"  # columns the loader appends to every registered table
TAGS = f"{FILE_IDX}, {BATCH_DT}"

# RFC 4180 on one physical line: a field is either quoted ("" escapes a quote, no line break) or
# holds no quote at all.
_QUOTED = r'"(?:[^"]|"")*"'
_FIELD = rf'(?:{_QUOTED}|[^",]*)'
_CSV_LINE = rf"^{_FIELD}(?:,{_FIELD})*$"
_CSV_LINE_RE = re.compile(_CSV_LINE)  # for one line in Python (a header)

# Magic numbers of compressed data: polars would decompress these silently, the contract says a
# .csv/.jsonl file is UTF-8 text, so such a file goes to the strict path (and is rejected).
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x28\xb5\x2f\xfd")


_ARROW = pl.CompatLevel.newest()  # string_view columns: handed to DuckDB without a copy


class Rejected(Exception):
    """A file that cannot be read as a whole; `reason` is one readable phrase."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LandingFile:
    path: Path
    rel: str  # path relative to the landing root, with forward slashes
    fmt: str | None  # "csv", "jsonl" or "parquet"; None = not a supported file type
    gzip: bool = False


@dataclass
class FileFrame:
    """The records of one file, untyped: `table` has LINE, RAW, MALFORMED and (csv) one string
    column per contract field, (jsonl) only the lines, (parquet) the file's own columns."""

    file: LandingFile
    table: pa.Table | None  # None when the file holds no records
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return 0 if self.table is None else self.table.num_rows


# --------------------------------------------------------------------------- folders and files


def partition_dir(landing: Path, entity: Entity, dt: date) -> Path:
    return Path(landing) / entity.system / entity.entity / f"dt={dt.isoformat()}"


def batch_days(landing: Path, entity: Entity) -> list[date]:
    """The `dt=YYYY-MM-DD` folders of an entity, sorted; other names are not batches."""
    root = Path(landing) / entity.system / entity.entity
    if not root.is_dir():
        return []
    days = set()
    # scandir: the folder's entries say what they are without a stat each (years of days, every
    # entity, a few times per run)
    with os.scandir(root) as children:
        for child in children:
            if child.name.startswith("dt=") and child.is_dir():
                try:
                    day = date.fromisoformat(child.name[3:])
                except ValueError:
                    continue
                if child.name[3:] == day.isoformat():
                    days.add(day)
    return sorted(days)


def unknown_folders(landing: Path) -> list[str]:
    """Folders of the landing zone that are no system or entity of the contract (`crm`,
    `shop/leads`), relative to the landing root, sorted. Names starting with `.` or `_` are markers
    (`_simulation.json`, `.DS_Store`) and plain files at these levels are not batches: neither is
    listed. Such folders are not loaded; the ingest log and `warehouse status` name them."""
    root = Path(landing)
    if not root.is_dir():
        return []
    known: dict[str, set[str]] = {}
    for e in ENTITIES:
        known.setdefault(e.system, set()).add(e.entity)
    found = []
    for system in sorted(root.iterdir(), key=lambda p: p.name):
        if not system.is_dir() or system.name.startswith((".", "_")):
            continue
        if system.name not in known:
            found.append(system.name)
            continue
        for entity in sorted(system.iterdir(), key=lambda p: p.name):
            if entity.is_dir() and not entity.name.startswith((".", "_")) and entity.name not in known[system.name]:
                found.append(f"{system.name}/{entity.name}")
    return found


def _format_of(name: str) -> tuple[str | None, bool]:
    lower = name.lower()
    for fmt in sorted(SOURCE_FORMATS, key=len, reverse=True):  # "csv.gz" before "csv"
        if lower.endswith("." + fmt):
            base, _, comp = fmt.partition(".")
            return base, comp == "gz"
    return None, False


def list_partition(landing: Path, entity: Entity, dt: date) -> list[LandingFile] | None:
    """Files of one partition in name order; None when the folder does not exist.

    Names starting with `.` or `_` are markers (`_SUCCESS`, `.DS_Store`) and are skipped; every
    other entry must be a supported data file (an unsupported one is listed with fmt=None and
    rejected by the caller, so nothing that arrives is silently ignored).
    """
    folder = partition_dir(landing, entity, dt)
    if not folder.is_dir():
        return None
    files = []
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith((".", "_")):
            continue
        rel = child.relative_to(Path(landing)).as_posix()
        fmt, gz = _format_of(child.name) if child.is_file() else (None, False)
        files.append(LandingFile(child, rel, fmt, gz))
    return files


# --------------------------------------------------------------------------- bytes to lines


def _gunzip(data: bytes) -> bytes:
    """Every member of a gzip stream; trailing NUL padding is tolerated, anything else is not."""
    if not data:
        raise Rejected("truncated gzip (the file is empty)")
    out = []
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except zlib.error as e:
            raise Rejected(f"corrupt gzip ({e})") from None
        if not d.eof:
            raise Rejected("truncated gzip (the compressed stream ends early)")
        data = d.unused_data.lstrip(b"\x00")
    return b"".join(out)


def _not_utf8(data: bytes) -> Rejected:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return Rejected(f"not UTF-8 (invalid byte 0x{data[e.start]:02x} on line {line})")
    return Rejected("not UTF-8")


def _lines_fast(data: bytes, gz: bool) -> pl.Series | None:
    if gz and not data.startswith(b"\x1f\x8b"):
        return None
    if not gz and data.startswith(_COMPRESSED_MAGIC):
        return None
    try:
        df = pl.read_csv(
            data,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            new_columns=[RAW],
            schema={RAW: pl.String},
            comment_prefix=None,
            raise_if_empty=False,
        )
    except Exception:  # noqa: BLE001 - anything polars dislikes is judged by the strict path
        return None
    return df.get_column(RAW) if df.width == 1 else pl.Series(RAW, [], pl.String)


def _lines_strict(data: bytes, gz: bool) -> pl.Series:
    """Split on `\n` with numpy (no Python object per line); Arrow validates the UTF-8."""
    if gz:
        data = _gunzip(data)
    data = data.removeprefix(b"\xef\xbb\xbf")
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 0x0A) + 1
    offsets = np.concatenate(([0], ends, [len(data)] if not ends.size or ends[-1] != len(data) else [])).astype(
        np.int64
    )
    lines = pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        raise _not_utf8(data) from None
    return pl.Series(RAW, lines).str.strip_suffix("\n").str.strip_suffix("\r")


def read_lines(path: Path, gz: bool) -> pl.DataFrame:
    """Non-blank physical lines of a text file: columns LINE (1-based) and RAW.

    Lines end at `\\n` (a preceding `\\r` is dropped); a line of only whitespace is blank, is not
    a record and keeps its number. Raises `Rejected` for a corrupt/truncated gzip or non-UTF-8.
    """
    data = path.read_bytes()
    lines = _lines_fast(data, gz)
    if lines is None:
        lines = _lines_strict(data, gz)
    df = pl.DataFrame({LINE: np.arange(1, len(lines) + 1, dtype=np.int64), RAW: lines})
    record = pl.col(RAW).is_not_null() & pl.col(RAW).str.contains(r"\S")
    return df if df.select(record.all()).item() else df.filter(record)


# --------------------------------------------------------------------------- formats


def _check_columns(kind: str, columns: list[str], entity: Entity) -> list[str]:
    """Missing required columns reject the file; returns the extra columns (header order)."""
    seen, dupes = set(), []
    for c in columns:
        if c in seen and c not in dupes:
            dupes.append(c)
        seen.add(c)
    if dupes:
        raise Rejected(f"{kind} repeats columns {', '.join(dupes)}")
    missing = [f for f in entity.required if f not in seen]
    if missing:
        raise Rejected(f"{kind} lacks required columns {', '.join(missing)}")
    known = set(entity.field_names)
    return [c for c in columns if c not in known]


def _csv_header(line: str) -> list[str]:
    # One line: Python's own regex and csv module (a polars frame per header cost ~1.6 ms a file,
    # ~5 s of a year of a small shop's CSV files).
    if not _CSV_LINE_RE.fullmatch(line):
        raise Rejected("header row is not valid CSV (unbalanced or misplaced quotes)")
    row = next(csv.reader([line]))
    return [name.strip() or f"column_{i + 1}" for i, name in enumerate(row)]


def read_csv(lf: LandingFile, entity: Entity) -> FileFrame:
    lines = read_lines(lf.path, lf.gzip)
    if lines.height == 0:
        return FileFrame(lf, None)  # an empty file: no header, no records
    header = _csv_header(lines.item(0, RAW))
    extra = _check_columns("header", header, entity)
    ncols = len(header)
    body = lines.slice(1)
    if body.height == 0:
        return FileFrame(lf, None, extra)

    n_fields = pl.col(RAW).str.replace_all(_QUOTED, "").str.count_matches(",", literal=True) + 1
    body = body.with_columns(
        pl.when(~pl.col(RAW).str.contains(_CSV_LINE))
        .then(pl.lit("not valid CSV (unbalanced or misplaced quotes; a quoted field cannot span lines)"))
        .when(n_fields != ncols)
        .then(pl.format(f"expected {ncols} fields, found {{}}", n_fields))
        .otherwise(None)
        .alias(MALFORMED)
    )
    all_good = body.get_column(MALFORMED).null_count() == body.height  # the usual file: no split, no sort
    good = body if all_good else body.filter(pl.col(MALFORMED).is_null())
    position = {name: i for i, name in enumerate(header)}
    names = [f"c{i}" for i in range(ncols)]
    if good.height:
        joined = io.BytesIO()  # the well-formed lines again, one after the other, for polars' CSV parser
        good.select(RAW).write_csv(joined, include_header=False, quote_style="never", line_terminator="\n")
        values = pl.read_csv(
            joined.getvalue(),
            has_header=False,
            new_columns=names,
            schema={n: pl.String for n in names},
            quote_char='"',
            comment_prefix=None,
            raise_if_empty=False,
        )
        if values.height != good.height:  # cannot happen for lines that passed the regex
            raise RuntimeError(f"{lf.rel}: CSV parser found {values.height} records in {good.height} lines")
        good = good.with_columns(
            [
                values.get_column(names[position[f]]).alias(f) if f in position else pl.lit(None, pl.String).alias(f)
                for f in entity.field_names
            ]
        )
    else:
        good = good.with_columns([pl.lit(None, pl.String).alias(f) for f in entity.field_names])
    frame = good
    if not all_good:
        bad = body.filter(pl.col(MALFORMED).is_not_null())
        bad = bad.with_columns([pl.lit(None, pl.String).alias(f) for f in entity.field_names])
        frame = pl.concat([good, bad], how="vertical").sort(LINE)
    return FileFrame(lf, frame.select(LINE, RAW, MALFORMED, *entity.field_names).to_arrow(compat_level=_ARROW), extra)


def read_jsonl(lf: LandingFile, entity: Entity) -> FileFrame:
    lines = read_lines(lf.path, lf.gzip)
    return FileFrame(lf, lines.to_arrow(compat_level=_ARROW) if lines.height else None)  # extra keys: in SQL


def read_parquet(lf: LandingFile, entity: Entity) -> FileFrame:
    try:
        table = pq.read_table(lf.path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
        msg = " ".join(str(e).split())
        raise Rejected(f"unreadable Parquet file ({msg})") from None
    extra = _check_columns("Parquet file", table.column_names, entity)
    if table.num_rows == 0:
        return FileFrame(lf, None, extra)
    if PARQUET_ROW in table.column_names:
        raise Rejected(f"Parquet file has a column named {PARQUET_ROW}, a name reserved by ingest")
    table = table.append_column(PARQUET_ROW, pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)))
    return FileFrame(lf, table, extra)


def read_file(lf: LandingFile, entity: Entity) -> FileFrame:
    if lf.fmt is None:
        kind = "a folder inside a batch folder" if lf.path.is_dir() else "unsupported file type"
        expected = ", ".join("." + f for f in SOURCE_FORMATS[:-1]) + f" or .{SOURCE_FORMATS[-1]}"
        raise Rejected(f"{kind} (expected {expected})")
    return {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}[lf.fmt](lf, entity)


# --------------------------------------------------------------------------- SQL per format


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_select(frame: FileFrame, table: str, entity: Entity) -> str:
    cols = ", ".join(_ident(f) for f in entity.field_names)
    return f"SELECT {TAGS}, {LINE}, {RAW}, {MALFORMED}, {cols}, NULL::VARCHAR[] AS {EXTRA} FROM {table}"


def jsonl_select(frame: FileFrame, table: str, entity: Entity) -> str:
    """Parse each line into a struct of VARCHAR (`json_transform`). `try(json_keys())` is both the
    validity test (NULL for invalid JSON) and the source of EXTRA, the line's keys that are not
    contract fields. A line that is not valid JSON, or valid JSON that is not an object, is
    malformed. JSON numbers and booleans arrive as their text; a nested object or array arrives as
    its JSON text (and fails typed fields)."""
    structure = _lit(json.dumps({f: "VARCHAR" for f in entity.field_names}))
    fields = ", ".join(f"_j.{_ident(f)} AS {_ident(f)}" for f in entity.field_names)
    known = "[" + ", ".join(_lit(f) for f in entity.field_names) + "]"
    return (
        f"SELECT {TAGS}, {LINE}, {RAW}, "
        f"CASE WHEN NOT _ok THEN CASE WHEN json_valid({RAW}) THEN 'valid JSON but not an object' "
        f"ELSE 'invalid JSON' END END AS {MALFORMED}, {fields}, "
        f"CASE WHEN _ok THEN list_filter(_keys, lambda k: NOT list_contains({known}, k)) END AS {EXTRA} "
        f"FROM (SELECT {TAGS}, {LINE}, {RAW}, _keys, _ok, CASE WHEN _ok THEN json_transform({RAW}, {structure}) END AS _j "
        f"FROM (SELECT {TAGS}, {LINE}, {RAW}, _keys, _keys IS NOT NULL AND regexp_matches({RAW}, '^\\s*\\{{') AS _ok "
        f"FROM (SELECT {TAGS}, {LINE}, {RAW}, try(json_keys({RAW})) AS _keys FROM {table})))"
    )


def _parquet_text(col: str, typ: pa.DataType, field_type: str) -> str:
    """The text a CSV would carry for a Parquet value, so every format meets the same checks."""
    c = _ident(col)
    if pa.types.is_timestamp(typ):
        if typ.tz is not None:  # an instant: rendered in UTC with its offset
            return f"strftime(timezone('UTC', {c}::TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%S.%fZ')"
        return f"strftime({c}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%f')"  # no offset: quarantined
    if pa.types.is_date(typ):
        return f"strftime({c}::DATE, '%Y-%m-%d')"
    if pa.types.is_boolean(typ):
        return f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
    if pa.types.is_floating(typ) and field_type == "int":  # e.g. pandas ints with nulls
        return (
            f"CASE WHEN isfinite({c}) AND {c} = trunc({c}) AND abs({c}) < 9e18 "
            f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END"
        )
    return f"CAST({c} AS VARCHAR)"


def parquet_select(frame: FileFrame, table: str, entity: Entity) -> str:
    schema = frame.table.schema
    present = set(schema.names)
    cols = []
    for f in entity.fields:
        if f.name in present:
            cols.append(f"{_parquet_text(f.name, schema.field(f.name).type, f.type)} AS {_ident(f.name)}")
        else:
            cols.append(f"NULL::VARCHAR AS {_ident(f.name)}")
    return (
        f"SELECT {TAGS}, {PARQUET_ROW} AS {LINE}, NULL::VARCHAR AS {RAW}, NULL::VARCHAR AS {MALFORMED}, "
        f"{', '.join(cols)}, NULL::VARCHAR[] AS {EXTRA} FROM {table}"
    )


def parquet_raw_sql(frame: FileFrame, table: str, stage: str, file_idx: int) -> str:
    """Fill `_raw` of the quarantined records of one Parquet file with a JSON rendering of the row
    (only those rows are rendered)."""
    original = ", ".join(f"{_lit(n)}: {_ident(n)}" for n in frame.table.schema.names if n != PARQUET_ROW)
    return (
        f"UPDATE {stage} SET _raw = src._json FROM ("
        f"SELECT {PARQUET_ROW} AS _row, to_json({{{original}}})::VARCHAR AS _json FROM {table} "
        f"WHERE {PARQUET_ROW} IN (SELECT _line FROM {stage} WHERE _file_idx = {file_idx} AND _reason IS NOT NULL)"
        f") AS src WHERE {stage}._file_idx = {file_idx} AND {stage}._line = src._row"
    )


def source_select(frame: FileFrame, table: str, entity: Entity) -> str:
    """SQL giving TAGS, LINE, RAW, MALFORMED, one VARCHAR column per contract field, EXTRA for the
    records of `table` (files of `frame`'s format and, for Parquet, its columns)."""
    return {"csv": csv_select, "jsonl": jsonl_select, "parquet": parquet_select}[frame.file.fmt](frame, table, entity)
