"""A content checksum of the published marts: the "version of the data" that status, the
dashboards and the fault-tolerance tests compare. Two serving databases with the same marts rows
have the same checksum whatever their file bytes (DuckDB's block layout is not deterministic).
Tables that describe the run itself rather than the data (their rows carry run ids and times)
are left out."""

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
        # every row as text, in a total order: independent of insertion order and threads
        rows = con.execute(
            f"SELECT count(*), md5(coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')) "
            f'FROM {schema}."{table}" AS t'
        ).fetchone()
        digest.update(f"{table}:{rows[0]}:{rows[1]}\n".encode())
    return digest.hexdigest()
