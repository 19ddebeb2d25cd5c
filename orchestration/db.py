"""Connections to the working database. Opened per step and closed at once, because dbt (a
subprocess) must be able to open the same file afterwards: DuckDB allows one writer process.

The working database holds personal data in clear text (raw tables, `ops.quarantine`): it is
created 0600 without a moment where others could open it, its write-ahead log is kept 0600 and
DuckDB's spill directory beside it is 0700 (docs/design.md, "Files, modes and sharing")."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb

from config import Settings, create_private, duckdb_companions, make_private, private_dir
from ingest import ensure_schema


def _new_database(path: Path) -> None:
    duckdb.connect(str(path)).close()


@contextmanager
def working_db(settings: Settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    wal, spill = duckdb_companions(settings.working_db)
    create_private(settings.working_db, _new_database)  # an existing file is made 0600
    # DuckDB's default temp_directory (dbt's connection uses it too): it keeps a folder that
    # exists, so spilled rows land in a private one whatever the umask
    private_dir(spill)
    con = duckdb.connect(str(settings.working_db), config={"memory_limit": settings.memory_limit})
    try:
        ensure_schema(con, settings.lake)
        make_private(wal)  # DuckDB creates it with the umask's mode (the CLI's umask is 077)
        yield con
    finally:
        con.close()
        make_private(wal)
