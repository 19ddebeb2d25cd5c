"""Connections to the working database. Opened per step and closed at once, because dbt (a
subprocess) must be able to open the same file afterwards: DuckDB allows one writer process."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb

from config import Settings
from ingest import ensure_schema


@contextmanager
def working_db(settings: Settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.working_db), config={"memory_limit": settings.memory_limit})
    try:
        ensure_schema(con)
        yield con
    finally:
        con.close()
