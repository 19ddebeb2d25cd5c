"""Rendering simulator rows as landing files: text values, CSV/JSONL lines, bytes on disk.

Internal types: timestamps are epoch ms, money is integer cents (fx rates integer 1e-6), dates
are polars Dates. `to_text` turns a frame into one nullable string column per contract field;
`csv_lines` / `jsonl_lines` build each record's line with polars string expressions (RFC 4180
quoting; JSON omits null keys); `FileSink` writes the bytes (gzip with mtime 0, so output is
byte-identical across runs) on a background thread.
"""

from __future__ import annotations

import gzip
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from ingest import Entity

# timestamp styles: every upstream system has its own convention
LOCAL, LOCAL_MS, UTC, UTC_MS = "local", "local_ms", "utc", "utc_ms"
_FMT = {
    LOCAL: "%Y-%m-%dT%H:%M:%S%:z",
    LOCAL_MS: "%Y-%m-%dT%H:%M:%S%.3f%:z",
    UTC: "%Y-%m-%dT%H:%M:%SZ",
    UTC_MS: "%Y-%m-%dT%H:%M:%S%.3fZ",
}
DECIMAL_SCALE = {"rate_to_base": 6}  # decimal places; money fields: 2
_NUMERIC = r"^-?[0-9]+(\.[0-9]+)?$"


def ts_text(expr: pl.Expr, tz: str, style: str) -> pl.Expr:
    t = pl.from_epoch(expr, time_unit="ms").dt.replace_time_zone("UTC")
    if style in (LOCAL, LOCAL_MS):
        t = t.dt.convert_time_zone(tz)
    return t.dt.strftime(_FMT[style])


def decimal_text(expr: pl.Expr, scale: int) -> pl.Expr:
    unit = 10**scale
    return pl.concat_str((expr // unit).cast(pl.String), pl.lit("."), (expr % unit).cast(pl.String).str.zfill(scale))


def to_text(entity: Entity, df: pl.DataFrame, tz: str, style: str, keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """One nullable String column per contract field (contract order), plus the `keep` columns."""
    exprs = []
    for f in entity.fields:
        c = pl.col(f.name)
        if f.name not in df.columns:
            e = pl.lit(None, pl.String)
        elif f.type == "timestamp":
            e = ts_text(c, tz, style)
        elif f.type == "decimal" and df.schema[f.name] != pl.String:  # text: already written out
            e = decimal_text(c, DECIMAL_SCALE.get(f.name, 2))
        elif f.type == "bool":
            e = pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false"))
        else:
            e = c.cast(pl.String)
        exprs.append(e.alias(f.name))
    return df.select(*exprs, *[pl.col(k) for k in keep if k in df.columns])


def csv_header(columns: list[str]) -> str:
    return ",".join(columns)


def csv_lines(text: pl.DataFrame, columns: list[str]) -> pl.Series:
    """RFC 4180 records: a field with a comma, quote or line break is quoted, quotes doubled."""
    parts = []
    for name in columns:
        c = pl.col(name)
        parts.append(
            pl.when(c.is_null())
            .then(pl.lit(""))
            .when(c.str.contains(r'[",\r\n]'))
            .then(pl.concat_str(pl.lit('"'), c.str.replace_all('"', '""', literal=True), pl.lit('"')))
            .otherwise(c)
        )
    return text.select(pl.concat_str(parts, separator=",").alias("line")).to_series()


def jsonl_lines(text: pl.DataFrame, columns: list[str], numeric: set[str]) -> pl.Series:
    """One compact JSON object per record; null fields are left out. Numeric fields are JSON
    numbers when they look like one (a bad value stays a string, as a buggy client would send)."""
    parts = []
    for name in columns:
        c = pl.col(name)
        quoted = pl.concat_str(
            pl.lit('"'),
            c.str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True),
            pl.lit('"'),
        )
        value = pl.when(c.str.contains(_NUMERIC)).then(c).otherwise(quoted) if name in numeric else quoted
        parts.append(pl.when(c.is_null()).then(pl.lit("")).otherwise(pl.concat_str(pl.lit(f',"{name}":'), value)))
    body = pl.concat_str(parts, separator="")
    return text.select(pl.concat_str(pl.lit("{"), body.str.slice(1), pl.lit("}")).alias("line")).to_series()


def encode(lines: pl.Series, header: str | None, gz: bool) -> bytes:
    text = lines.str.join("\n").item() if len(lines) else ""
    if header is not None:
        text = header + "\n" + text if text else header
    data = (text + "\n").encode("utf-8") if text else b""
    return gzip.compress(data, compresslevel=1, mtime=0) if gz else data


class FileSink:
    """Writes files on one background thread (gzip releases the GIL), so disk and compression
    overlap with generating the next day. `close()` waits and re-raises any error."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: list[Future] = []

    def write(self, path: Path, lines: pl.Series, header: str | None, gz: bool) -> None:
        self._pending.append(self._pool.submit(self._write, path, lines, header, gz))
        if len(self._pending) > 64:
            self._drain(32)

    @staticmethod
    def _write(path: Path, lines: pl.Series, header: str | None, gz: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name("." + path.name + ".tmp")
        tmp.write_bytes(encode(lines, header, gz))
        tmp.replace(path)

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._pending.pop(0).result()

    def close(self) -> None:
        try:
            self._drain(0)
        finally:
            self._pool.shutdown(wait=True)
