"""Ingest one batch day of one entity into the working database, enforcing the contract.

Public API (called by the Dagster assets):

    ensure_schema(con)
    ingest_partition(con, landing, entity, dt, tz) -> list[FileResult]
    ingest_window(con, landing, entity, days, tz) -> list[FileResult]
    landed_batch_days(landing, entity) -> list[date]
    FileRejected, FileResult

Reading is `ingest.reader`, the checks are `ingest.checks` (one generated DuckDB statement), the
raw files are `ingest.lake`'s; this module owns the ops tables and the replace-a-partition
transaction. The rules are in docs/design.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from ingest import checks, lake, reader
from ingest.contract import Entity

QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS ops.quarantine (
  entity VARCHAR, batch_dt DATE, file VARCHAR, line_number BIGINT, raw_text VARCHAR, reason VARCHAR, detail VARCHAR
)"""
INGEST_LOG_DDL = """CREATE TABLE IF NOT EXISTS ops.ingest_log (
  entity VARCHAR, batch_dt DATE, file VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
  rows_duplicate BIGINT, extra_columns VARCHAR[], status VARCHAR, error VARCHAR, ingested_at TIMESTAMPTZ
)"""
_STAGE = "_ingest_stage"
_BATCH_ROWS = 8192
_READ_THREADS = 2  # threads reading landing files (see _read_ahead)
_READ_AHEAD_DAYS = 4  # batch days read ahead of the one being checked and loaded
_CHUNK_ROWS = 500_000  # rows per checks statement and transaction: ~9 days of a small shop's clickstream


@dataclass(frozen=True)
class FileResult:
    """One row of ops.ingest_log."""

    entity: str
    batch_dt: date
    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_duplicate: int
    extra_columns: tuple[str, ...]
    status: str  # "loaded" or "rejected"
    error: str | None
    ingested_at: datetime

    def as_row(self) -> tuple:
        return (
            self.entity,
            self.batch_dt,
            self.file,
            self.rows_read,
            self.rows_loaded,
            self.rows_quarantined,
            self.rows_duplicate,
            list(self.extra_columns),
            self.status,
            self.error,
            self.ingested_at,
        )


class FileRejected(Exception):
    """A file of the partition cannot be read as a whole; nothing of the partition was replaced.

    `str(exc)` is one line, `<file relative to the landing root>: <reason>`; `results` holds the
    ops.ingest_log rows written for every rejected file of the partition.
    """

    def __init__(self, file: str, reason: str, results: list[FileResult]):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
        self.results = results


def ensure_schema(con: duckdb.DuckDBPyConnection, raw_lake: Path | None = None) -> None:
    """Schemas raw and ops, every raw view of the contract (over `raw_lake`, by default the folder
    `lake` beside the database), ops.quarantine and ops.ingest_log."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    lake.ensure_raw_views(con, raw_lake)
    con.execute(QUARANTINE_DDL)
    con.execute(INGEST_LOG_DDL)


UNKNOWN_FOLDER = "unknown_folder"  # ops.ingest_log.status of a landing folder the contract does not know


def log_unknown_folders(con: duckdb.DuckDBPyConnection, landing: Path) -> list[str]:
    """Replace the ingest log's rows of unknown landing folders with one row per folder the
    landing zone holds now that is no system or entity of the contract (`reader.unknown_folders`):
    entity and file name the folder, batch_dt is null, no rows are read, status `unknown_folder`,
    error says it is not loaded. Returns the folders (sources.md: nothing that arrives is ignored
    silently)."""
    folders = reader.unknown_folders(Path(landing))
    now = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ops.ingest_log WHERE status = ?", [UNKNOWN_FOLDER])
        rows = [
            (
                folder,
                folder + "/",
                UNKNOWN_FOLDER,
                f"{folder}/ is not a system or entity of the contract: not loaded",
                now,
            )
            for folder in folders
        ]
        if rows:  # DuckDB's executemany refuses an empty list
            con.executemany("INSERT INTO ops.ingest_log VALUES (?, NULL, ?, 0, 0, 0, 0, [], ?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return folders


def landed_batch_days(landing: Path, entity: Entity) -> list[date]:
    """The batch days (`dt=` folders) present for an entity, sorted."""
    return reader.batch_days(Path(landing), entity)


def _rejected(con, entity: Entity, dt: date, errors: list[tuple[str, str]], now: datetime) -> FileRejected:
    """Log the rejected files (replacing earlier rejections of this partition) and build the error."""
    results = [FileResult(entity.name, dt, rel, 0, 0, 0, 0, (), "rejected", reason, now) for rel, reason in errors]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM ops.ingest_log WHERE entity = ? AND batch_dt = ? AND status = 'rejected'", [entity.name, dt]
        )
        con.executemany(
            "INSERT INTO ops.ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [r.as_row() for r in results]
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    rel, reason = errors[0]
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more rejected file{'s' if len(errors) > 2 else ''} in this batch)"
    return FileRejected(rel, reason, results)


def ingest_partition(
    con: duckdb.DuckDBPyConnection, landing: Path, entity: Entity, dt: date, tz: str
) -> list[FileResult]:
    """Load every file of `<landing>/<system>/<entity>/dt=<dt>/`, replacing that partition.

    Raw rows, quarantine rows and ingest-log rows of (entity, dt) are replaced in one transaction,
    so a re-run gives identical tables (except `ingested_at`). A missing folder is a no-op and
    returns []. Raises `FileRejected` (after logging it) when a file cannot be read as a whole;
    then nothing of the partition is replaced.
    """
    return ingest_window(con, landing, entity, [dt], tz)


def ingest_window(
    con: duckdb.DuckDBPyConnection, landing: Path, entity: Entity, days: list[date], tz: str
) -> list[FileResult]:
    """Load batch days `days` of one entity in date order, each replacing its partition as
    `ingest_partition` says.

    Consecutive days are checked and loaded together, ~`_CHUNK_ROWS` rows per statement and per
    transaction: one statement per day cost ~30 ms of fixed work per statement, a year of a small
    entity was mostly that; a commit per day made DuckDB checkpoint the growing raw table every
    day; one transaction for a whole year grows in memory (~30 MiB per day of clickstream) past
    the 4 GiB budget (docs/performance.md). The outcome is the same as loading the days one at a
    time (records identical to a record of an earlier day of the same chunk are duplicates, as if
    that day had been loaded first): when a partition has a rejected file, the days before it are
    committed, its rejection is logged, `FileRejected` is raised and later days are not loaded.
    """
    landing = Path(landing)
    ZoneInfo(tz)  # an unknown reporting zone fails here, before anything is read
    results: list[FileResult] = []
    chunk: list[_Partition] = []
    chunk_rows = 0
    # Chunks alternate between two connections: while one chunk is written into raw (a worker
    # thread; the insert keeps only ~1.4 of 2 cores busy) the next is read and checked into a temp
    # table on the other connection (docs/performance.md). Writes stay one at a time, in date
    # order, and each commits only once the next chunk's checks are done: DuckDB checkpoints at a
    # commit only when no other statement is running.
    connections = (con, con.cursor())
    prepared = 0
    loading: tuple[Future, _Prepared] | None = None

    def loaded() -> None:
        nonlocal loading
        if loading is not None:
            (done, ready), loading = loading, None
            written = done.result()
            _commit(ready)
            results.extend(written)

    def load(days: list[_Partition]) -> None:
        nonlocal loading, prepared
        ready = _prepare(connections[prepared % 2], entity, tz, days)
        prepared += 1
        loaded()
        loading = (loader.submit(_write, entity, ready), ready)

    try:
        with (
            _cancelling(ThreadPoolExecutor(_READ_THREADS, thread_name_prefix="ingest-read")) as readers,
            ThreadPoolExecutor(1, thread_name_prefix="ingest-load") as loader,
        ):
            for dt, files, reads in _read_ahead(landing, entity, days, readers):
                now = datetime.now(UTC)
                frames, errors = _read_partition(files, reads)
                if errors:
                    if chunk:
                        load(chunk)  # the days before this one stand
                    loaded()
                    raise _rejected(con, entity, dt, errors, now)
                chunk.append(_Partition(dt, frames, now))
                chunk_rows += chunk[-1].rows
                if chunk_rows >= _CHUNK_ROWS:
                    load(chunk)
                    chunk, chunk_rows = [], 0
            if chunk:
                load(chunk)
            loaded()
    finally:
        if loading is not None:  # an error while the previous chunk was written: it still stands
            done, ready = loading
            if done.exception() is None:  # waits for the write
                _commit(ready)
        connections[1].close()
    return results


@dataclass
class _Partition:
    """The files of one batch day, read and not yet loaded."""

    dt: date
    frames: list[reader.FileFrame]
    now: datetime

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.frames)


def _read_one(lf: reader.LandingFile, entity: Entity) -> reader.FileFrame | reader.Rejected:
    try:
        return reader.read_file(lf, entity)
    except reader.Rejected as e:
        return e


def _read_ahead(
    landing: Path,
    entity: Entity,
    days: list[date],
    pool: ThreadPoolExecutor,
) -> Iterator[tuple[date, list[reader.LandingFile], list[Future]]]:
    """The batch days of `days` that have a folder, in date order, each with its files and the
    futures reading them on `pool`. The files of the next `_READ_AHEAD_DAYS` days are being read
    while the caller checks and loads: gunzipping and splitting a file is single-threaded in
    polars and releases the GIL, and a day of one small file would keep one thread busy at a time
    (docs/performance.md)."""
    pending: deque[tuple[date, list[reader.LandingFile], list[Future]]] = deque()
    ahead = iter(sorted(days))
    while True:
        while len(pending) <= _READ_AHEAD_DAYS and (dt := next(ahead, None)) is not None:
            files = reader.list_partition(landing, entity, dt)
            if files is not None:
                pending.append((dt, files, [pool.submit(_read_one, lf, entity) for lf in files]))
        if not pending:
            return
        yield pending.popleft()


@contextmanager
def _cancelling(pool: ThreadPoolExecutor) -> Iterator[ThreadPoolExecutor]:
    """`pool`, shut down on leaving without starting what is still queued: after a rejected file
    the days read ahead are not needed (the reads already running are waited for)."""
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_partition(
    files: list[reader.LandingFile], reads: list[Future]
) -> tuple[list[reader.FileFrame], list[tuple[str, str]]]:
    """Every file of the partition is read before anything is written; rejected files are collected."""
    frames: list[reader.FileFrame] = []
    errors: list[tuple[str, str]] = []
    for lf, outcome in zip(files, (r.result() for r in reads)):
        if isinstance(outcome, reader.Rejected):
            errors.append((lf.rel, outcome.reason))
        else:
            frames.append(outcome)
    return frames, errors


@dataclass
class _Prepared:
    """A chunk read and checked into the temp table `_STAGE` of `con`, not yet loaded."""

    con: duckdb.DuckDBPyConnection
    chunk: list[_Partition]
    files: list[tuple[_Partition, reader.FileFrame]]  # `_file_idx` is the position here
    sources: dict[str, tuple[pa.Table, reader.FileFrame]]

    def release(self) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        for name in self.sources:
            self.con.unregister(name)


def _prepare(con, entity: Entity, tz: str, chunk: list[_Partition]) -> _Prepared:
    """Register the chunk's records on `con` and check them into its temp table; nothing of the
    working database is read or written yet."""
    files = [(p, frame) for p in chunk for frame in p.frames]
    ready = _Prepared(con, chunk, files, _source_tables(files))
    try:
        for name, (table, _) in ready.sources.items():
            con.register(name, table)
        if ready.sources:
            _stage(entity, tz, ready)
    except BaseException:
        ready.release()
        raise
    return ready


def _write(entity: Entity, ready: _Prepared) -> list[FileResult]:
    """Write a prepared chunk in a transaction that `_commit` ends (rolled back on an error)."""
    ready.con.execute("BEGIN TRANSACTION")
    try:
        return _replace(entity, ready)
    except BaseException:
        ready.con.execute("ROLLBACK")
        ready.release()
        raise


def _commit(ready: _Prepared) -> None:
    try:
        ready.con.execute("COMMIT")
    finally:
        ready.release()


def _source_tables(files: list[tuple[_Partition, reader.FileFrame]]) -> dict[str, tuple[pa.Table, reader.FileFrame]]:
    """The records of the chunk as Arrow tables to register (with a frame whose format and columns
    they share), each row tagged with `_file_idx` and `_batch_dt`: one table for all CSV files and
    one for all JSON-lines files (their columns are the same for every file of an entity), one per
    Parquet file (its own columns)."""
    grouped: dict[str, tuple[list[pa.Table], reader.FileFrame]] = {}
    for i, (p, frame) in enumerate(files):
        if frame.table is None:
            continue
        n = frame.table.num_rows
        table = frame.table.drop_columns(
            [c for c in (reader.FILE_IDX, reader.BATCH_DT) if c in frame.table.column_names]
        )
        table = table.append_column(reader.FILE_IDX, pa.array(np.full(n, i, np.int32))).append_column(
            reader.BATCH_DT, pa.array(np.full(n, np.datetime64(p.dt.isoformat(), "D")), pa.date32())
        )
        grouped.setdefault(_source_name(i, frame), ([], frame))[0].append(table)
    out = {}
    for name, (tables, frame) in grouped.items():
        table = pa.concat_tables(tables, promote_options="permissive")
        # small record batches let DuckDB spread the scan over all its threads
        out[name] = (pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), table.schema), frame)
    return out


def _source_name(file_idx: int, frame: reader.FileFrame) -> str:
    """The registered table holding a file's records: shared by all CSV or all JSON-lines files of
    the chunk, one per Parquet file."""
    return f"_ingest_src_{file_idx}" if frame.file.fmt == "parquet" else f"_ingest_src_{frame.file.fmt}"


def _stage(entity: Entity, tz: str, ready: _Prepared) -> None:
    """Build the temp table of checked records: one statement for typing and checks over all files,
    then the duplicates within the chunk, Parquet raw text of quarantined rows and extra JSON keys
    (duplicates of earlier batches are flagged by `_replace`, which sees the raw table)."""
    con, files = ready.con, ready.files
    selects = [reader.source_select(frame, name, entity) for name, (_, frame) in ready.sources.items()]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS "
        + checks.stage_sql(entity, [p.dt for p in ready.chunk], tz, " UNION ALL ".join(selects))
    )
    con.execute(checks.dedupe_batch_sql(entity, _STAGE))
    for i, (_, frame) in enumerate(files):
        if frame.file.fmt == "parquet" and frame.table is not None:
            con.execute(reader.parquet_raw_sql(frame, _source_name(i, frame), _STAGE, i))
    extra = con.execute(
        f"SELECT DISTINCT _file_idx, unnest(_extra) AS k FROM {_STAGE} WHERE _extra IS NOT NULL ORDER BY 1, 2"
    ).fetchall()
    for i, key in extra:
        files[i][1].extra_columns.append(key)


def _replace(entity: Entity, ready: _Prepared) -> list[FileResult]:
    """Inside the caller's transaction: replace the quarantine and log rows of the chunk's batch
    days with its checked records, then their raw files (the last step: an error before it leaves
    the raw layer as it was)."""
    con, chunk, files = ready.con, ready.chunk, ready.files
    table = f"raw.{entity.name}"
    fields = ", ".join(checks.sql_ident(f) for f in entity.field_names)
    file_of = "[" + ", ".join(checks.sql_literal(f.file.rel) for _, f in files) + "][_file_idx + 1]"
    days = "(" + ", ".join(f"DATE '{p.dt.isoformat()}'" for p in chunk) + ")"
    con.execute(f"DELETE FROM ops.quarantine WHERE entity = ? AND batch_dt IN {days}", [entity.name])
    con.execute(f"DELETE FROM ops.ingest_log WHERE entity = ? AND batch_dt IN {days}", [entity.name])
    counts: dict[int, tuple[int, int, int, int]] = {}
    if ready.sources:
        low, high = con.execute(checks.key_bounds_sql(entity, _STAGE)).fetchall()[0]
        if low is not None:
            con.execute(checks.dedupe_earlier_sql(entity, _STAGE, table, low, high, days))
        con.execute(
            f"INSERT INTO ops.quarantine SELECT ?, _batch_dt, {file_of}, _line, _raw, _reason, _detail "
            f"FROM {_STAGE} WHERE _reason IS NOT NULL ORDER BY _file_idx, _line",
            [entity.name],
        )
        rows = con.execute(
            f"SELECT _file_idx, count(*), count(*) FILTER (_reason IS NULL AND NOT _dup), "
            f"count(*) FILTER (_reason IS NOT NULL), count(*) FILTER (_dup) FROM {_STAGE} GROUP BY _file_idx"
        ).fetchall()
        counts = {r[0]: tuple(r[1:]) for r in rows}
    results = []
    for i, (p, frame) in enumerate(files):
        read, loaded, quarantined, dup = counts.get(i, (0, 0, 0, 0))
        results.append(
            FileResult(
                entity.name,
                p.dt,
                frame.file.rel,
                read,
                loaded,
                quarantined,
                dup,
                tuple(frame.extra_columns),
                "loaded",
                None,
                p.now,
            )
        )
    if results:
        con.executemany(
            "INSERT INTO ops.ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [r.as_row() for r in results]
        )
    loaded = (
        f"SELECT {fields}, _batch_dt, {file_of} AS _file, _line, _row_hash FROM {_STAGE} WHERE _reason IS NULL AND NOT _dup"
        if ready.sources
        else f"SELECT * FROM {table} WHERE false"
    )
    lake.write_days(con, lake.lake_of(con), entity, loaded, [p.dt for p in chunk])
    return results
