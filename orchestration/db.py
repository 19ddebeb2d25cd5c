"""Connections to the working database.

Outside a run, `working_db` opens the file and closes it at once. Within `holding_working_db`
(a run, orchestration/runner.py) the database is opened once, at its first use, and each
`working_db` is a session (a DuckDB cursor) of that one open database: opening the file reads its
catalog and closing it checkpoints, ~50-80 ms each, and a run's steps asked for it ~40 times. dbt,
run in the same process (transform/in_process.py), connects to the same open database (DuckDB
shares one instance per file and configuration in a process): the run's writes are checkpointed
when the database closes or its log outgrows DuckDB's threshold, not at every step. Code that must
open the file another way (publish's read-only ATTACH) calls `release_working_db` first; the next
`working_db` of the run opens it again.

The working database holds personal data in clear text (raw tables, `ops.quarantine`): it is
created 0600 without a moment where others could open it, its write-ahead log is kept 0600 and
DuckDB's spill directory beside it is 0700 (docs/design.md, "Files, modes and sharing")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from config import Settings, create_private, duckdb_companions, make_private, private_dir
from ingest import ensure_schema

# working database file -> its open connection, for the files a run holds (None until first use)
_held: dict[Path, duckdb.DuckDBPyConnection | None] = {}


def _new_database(path: Path) -> None:
    duckdb.connect(str(path)).close()


def _open(settings: Settings) -> duckdb.DuckDBPyConnection:
    settings.home.mkdir(parents=True, exist_ok=True)
    _, spill = duckdb_companions(settings.working_db)
    create_private(settings.working_db, _new_database)  # an existing file is made 0600
    # DuckDB's default temp_directory (dbt's connection uses it too): it keeps a folder that
    # exists, so spilled rows land in a private one whatever the umask
    private_dir(spill)
    # no configuration at connect time: dbt-duckdb connects without one, and DuckDB lets a
    # process's connections share an open database only when their configurations are equal
    con = duckdb.connect(str(settings.working_db))
    try:
        con.execute("SET memory_limit = ?", [settings.memory_limit])
        ensure_schema(con, settings.lake)
    except BaseException:
        con.close()
        raise
    _private_wal(settings)
    return con


def _private_wal(settings: Settings) -> None:
    make_private(duckdb_companions(settings.working_db)[0])  # DuckDB creates it with the umask's mode


def _close(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
    con.close()
    _private_wal(settings)


@contextmanager
def working_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    key = settings.working_db.resolve()
    if key not in _held:
        con = _open(settings)
        try:
            yield con
        finally:
            _close(settings, con)
        return
    if _held[key] is None:
        _held[key] = _open(settings)
    session = _held[key].cursor()
    try:
        yield session
    finally:
        session.close()
        _private_wal(settings)


@contextmanager
def holding_working_db(settings: Settings) -> Iterator[None]:
    """Within: every `working_db(settings)` is a session of one open database, closed at the end."""
    key = settings.working_db.resolve()
    if key in _held:  # already held by an enclosing caller
        yield
        return
    _held[key] = None
    try:
        yield
    finally:
        release_working_db(settings)
        del _held[key]


def release_working_db(settings: Settings) -> None:
    """Close the held database (checkpointed into its file) so that it can be opened another way;
    the holder's next `working_db` opens it again. Nothing when it is not held or not open."""
    key = settings.working_db.resolve()
    con = _held.get(key)
    if con is not None:
        _held[key] = None
        _close(settings, con)
