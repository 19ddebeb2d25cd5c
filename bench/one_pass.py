"""A prototype, for measuring only: the clickstream read, checked and staged in one pass.

The pipeline handles the clickstream in two passes: ingest (read every line, parse its JSON in
DuckDB, run the contract checks, write the raw layer's Parquet files), then dbt's
`stg_traffic__events` (read the raw layer, keep each event's first arrival, local time and
date, the visitor's keyed hash, write a DuckDB table). Issue 20 proposes one pass. This module
does that pass the cheapest way at hand, to learn what it would cost before building it:

- polars' multi-threaded JSON-lines reader parses every field as text (instead of reading lines
  and parsing them in DuckDB);
- the contract's checks are the pipeline's own generated statement (`ingest.checks.stage_sql`),
  with duplicates within a chunk and against earlier batches flagged as the ingest flags them;
- the checked records are written once, already staged (local time, date, keyed hash; no
  ip_address): zstd Parquet files as the raw layer's, or a DuckDB table (`sink`); quarantined
  records into a table.

What it leaves out, and a real one-pass ingest would need: the strict reader's rejection of a
whole file and its wording (polars' reader refuses a file with one bad line: the prototype
counts on clean files), line numbers that skip blank lines as the ingest's do, extra keys,
replacing a batch day that is delivered again, the first arrival of an event id sent again with
other values, the ingest log. Each costs a little more, so the figure is a lower bound for this
design. The key is a throwaway value, not the shop's, and nothing reads what the prototype writes.
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from ingest import checks, reader
from ingest.contract import ENTITIES

CHUNK_ROWS = 500_000  # as the ingest's chunks (ingest/load.py)
READ_AHEAD = 8  # files read ahead of the chunk being checked and written
_EVENTS = next(e for e in ENTITIES if e.name == "traffic_events")
_STAGE = "_one_pass_stage"


def _read(lf: reader.LandingFile, file_idx: int, dt: date) -> pa.Table:
    """Every record of a file with each contract field as text, tagged as the ingest tags them."""
    df = pl.read_ndjson(
        lf.path, schema={f: pl.String for f in _EVENTS.field_names}, row_index_name=reader.LINE, row_index_offset=1
    )
    n = df.height
    return (
        df.with_columns(pl.col(reader.LINE).cast(pl.Int64))
        .to_arrow()
        .append_column(reader.FILE_IDX, pa.array(np.full(n, file_idx, np.int32)))
        .append_column(reader.BATCH_DT, pa.array(np.full(n, np.datetime64(dt.isoformat(), "D")), pa.date32()))
    )


def _staged_columns(tz: str) -> str:
    """stg_traffic__events' columns from the checked ones (its SQL, DuckDB's dialect)."""
    keep = [f for f in _EVENTS.field_names if f not in ("anonymous_id", "ip_address", "currency")]
    q = checks.sql_ident
    local = f"timezone({checks.sql_literal(tz)}, event_ts)"
    return ", ".join(
        [
            "event_id",
            "event_ts",
            f"{local} AS event_ts_local",
            f"CAST({local} AS DATE) AS event_date",
            "CASE WHEN anonymous_id IS NOT NULL THEN sha256(getvariable('one_pass_key') || ':' || anonymous_id) END "
            "AS anonymous_id_hash",
            *[q(f) for f in keep if f not in ("event_id", "event_ts")],
            "upper(currency) AS currency",
            "_batch_dt",
            "_file_idx",
            "_line",
            "_row_hash",
        ]
    )


class _OnePass:
    """The prototype's database: `events` (staged), `quarantine`, and the counts so far."""

    def __init__(self, db: Path, tz: str, sink: str):
        db.unlink(missing_ok=True)
        self.parquet_dir = db.with_suffix(".parquet.d")
        shutil.rmtree(self.parquet_dir, ignore_errors=True)
        if sink == "parquet":
            self.parquet_dir.mkdir(parents=True)
        self.con = duckdb.connect(str(db))
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute("SET memory_limit = '2GB'")  # the pipeline's budget (Settings.memory_limit)
        self.con.execute("SET VARIABLE one_pass_key = 'a throwaway key for measuring'")
        self.tz, self.sink, self.staged = tz, sink, _staged_columns(tz)
        names = ", ".join(checks.sql_ident(f) for f in _EVENTS.field_names)
        # the input of the checks statement, as ingest/reader.py's source_select gives it
        self.source = (
            f"SELECT {reader.TAGS}, {reader.LINE}, NULL::VARCHAR AS {reader.RAW}, NULL::VARCHAR AS "
            f"{reader.MALFORMED}, {names}, NULL::VARCHAR[] AS {reader.EXTRA} FROM _one_pass_src"
        )
        self.chunks = 0
        self.counts = dict(rows=0, rows_loaded=0, rows_quarantined=0, rows_duplicate=0)
        self.seconds = {"check": 0.0, "write": 0.0}

    def load(self, tables: list[pa.Table], days: list[date]) -> None:
        table = pa.concat_tables(tables)
        # small record batches let DuckDB spread the scan over its threads (as ingest/load.py)
        self.con.register("_one_pass_src", pa.Table.from_batches(table.to_batches(max_chunksize=8192), table.schema))
        started = time.perf_counter()
        self._check(days)
        self.seconds["check"] += time.perf_counter() - started
        started = time.perf_counter()
        self._write()
        self.seconds["write"] += time.perf_counter() - started
        counts = self.con.execute(
            "SELECT count(*), count(*) FILTER (_reason IS NULL AND NOT _dup), count(*) FILTER (_reason IS NOT NULL), "
            f"count(*) FILTER (_dup) FROM {_STAGE}"
        ).fetchall()[0]
        for key, n in zip(self.counts, counts):
            self.counts[key] += n
        self.con.unregister("_one_pass_src")
        self.chunks += 1

    def _check(self, days: list[date]) -> None:
        """The ingest's checks statement over the chunk, then its duplicate flags."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS " + checks.stage_sql(_EVENTS, days, self.tz, self.source)
        )
        self.con.execute(checks.dedupe_batch_sql(_EVENTS, _STAGE))
        if self.chunks:
            low, high = self.con.execute(checks.key_bounds_sql(_EVENTS, _STAGE)).fetchall()[0]
            if low is not None:
                no_day = "(DATE '0001-01-01')"  # no batch day is being replaced
                self.con.execute(checks.dedupe_earlier_sql(_EVENTS, _STAGE, "events", low, high, no_day))

    def _write(self) -> None:
        """The chunk's good records, staged, and its quarantined ones, in one transaction."""
        good = f"SELECT {self.staged} FROM {_STAGE} WHERE _reason IS NULL AND NOT _dup"
        bad = f"SELECT * FROM {_STAGE} WHERE _reason IS NOT NULL"
        con = self.con
        con.execute("BEGIN TRANSACTION")
        if self.sink == "parquet":
            target = self.parquet_dir / f"{self.chunks}.parquet"
            con.execute(f"COPY ({good}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
            if not self.chunks:
                con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{self.parquet_dir}/*.parquet')")
        elif self.chunks:
            con.execute(f"INSERT INTO events {good}")
        else:
            con.execute(f"CREATE TABLE events AS {good}")
        con.execute(f"INSERT INTO quarantine {bad}" if self.chunks else f"CREATE TABLE quarantine AS {bad}")
        con.execute("COMMIT")


def run(landing: Path, db: Path, days: list[date], tz: str, sink: str = "parquet") -> dict:
    """The clickstream files of `days`, read ahead on two threads, loaded ~CHUNK_ROWS at a time
    into `db` (replaced); `sink` "parquet" writes the staged events as Parquet files beside `db`,
    "table" into a table of `db`. Returns the counts and the seconds of checks and writes."""
    files = [(lf, dt) for dt in days for lf in (reader.list_partition(landing, _EVENTS, dt) or []) if lf.fmt == "jsonl"]
    one_pass = _OnePass(db, tz, sink)
    chunk: list[pa.Table] = []
    chunk_days: set[date] = set()
    with ThreadPoolExecutor(2, thread_name_prefix="one-pass-read") as pool:
        reads = deque(pool.submit(_read, lf, i, dt) for i, (lf, dt) in enumerate(files[:READ_AHEAD]))
        for i, (_, dt) in enumerate(files):
            chunk.append(reads.popleft().result())
            chunk_days.add(dt)
            if i + READ_AHEAD < len(files):
                ahead, ahead_dt = files[i + READ_AHEAD]
                reads.append(pool.submit(_read, ahead, i + READ_AHEAD, ahead_dt))
            if i + 1 == len(files) or sum(t.num_rows for t in chunk) >= CHUNK_ROWS:
                one_pass.load(chunk, sorted(chunk_days))
                chunk, chunk_days = [], set()
    one_pass.con.close()
    return {**one_pass.counts, "files": len(files), "seconds": {k: round(v, 2) for k, v in one_pass.seconds.items()}}
