"""A content checksum of the published marts: the "version of the data" that status, the
dashboards and the fault-tolerance tests compare. Two serving databases with the same marts rows
have the same checksum whatever their file bytes (DuckDB's block layout is not deterministic).
Tables that describe the run itself rather than the data (their rows carry run ids and times)
are left out.

Per table: the row count and the sum of DuckDB's 64-bit hash of every row, a multiset digest that
needs no sort (sorting every row as text took ~2 s of a medium shop's publish; this takes 0.1 s).
It detects changes, not tampering, and a DuckDB release that changes `hash` changes it once."""

from __future__ import annotations

import hashlib

import duckdb

RUN_SPECIFIC_TABLES = frozenset({"data_health"})


def marts_checksum(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> str:
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = ? "
        "ORDER BY table_name",
        [schema],
    ).fetchall()
    digest = hashlib.sha256()
    for (table,) in tables:
        if table in RUN_SPECIFIC_TABLES:
            continue
        # independent of the rows' order, hence of insertion order and threads
        rows = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {schema}."{table}" AS t'
        ).fetchone()
        digest.update(f"{table}:{rows[0]}:{rows[1]}\n".encode())
    return digest.hexdigest()
