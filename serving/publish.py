"""Write–audit–publish: copy the audited marts (and ops history) into a new DuckDB file and swap
it over the serving database with an atomic rename. Readers hold either the old file or the new
one, never a mix, and never wait on a lock: nobody but this function writes serving files.
`marts.data_health` is built on the way from `ops.check_results` (quality/results.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from config import make_shared
from ingest import ENTITIES
from quality import DATA_HEALTH_SQL
from serving.checksum import marts_checksum
from serving.semantic_sources import publish_semantic_sources

PUBLISHED_SCHEMAS = ("marts", "ops")

# Entities whose raw lines carry personal data: their quarantined raw text stays in the working
# database (for engineers) and is redacted in the served copy.
_PII_ENTITIES = sorted(e.name for e in ENTITIES if any(f.pii for f in e.fields))
REDACTED = "[redacted: holds personal data; full text in the working database]"


def _served_select(schema: str, table: str) -> str:
    if (schema, table) == ("ops", "quarantine"):
        entities = ", ".join(f"'{e}'" for e in _PII_ENTITIES)
        return (
            f"SELECT * REPLACE (CASE WHEN entity IN ({entities}) THEN '{REDACTED}' ELSE raw_text END AS raw_text) "
            f"FROM work.ops.quarantine"
        )
    return f'SELECT * FROM work.{schema}."{table}"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment_marts(con, descriptions: Mapping[str, tuple[str, Mapping[str, str]]]) -> None:
    """The dbt docs' definitions as comments on the published marts and their columns: what a BI
    tool (DBeaver, Superset) shows beside a table or column."""
    present = {
        (table, column)
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    tables = {table for table, _ in present}
    for table, (description, columns) in descriptions.items():
        if table not in tables:
            continue
        if description:
            con.execute(f'COMMENT ON TABLE marts."{table}" IS {_quoted(description)}')
        for column, text in columns.items():
            if text and (table, column) in present:
                con.execute(f'COMMENT ON COLUMN marts."{table}"."{column}" IS {_quoted(text)}')


def publish(
    working_db: Path,
    serving_db: Path,
    run_id: str,
    descriptions: Mapping[str, tuple[str, Mapping[str, str]]] | None = None,
    engine: str = "duckdb",
) -> dict[str, int]:
    """Publish every table of the published schemas, the marts commented with `descriptions`
    ({table: (description, {column: description})}, transform's dbt docs); return rows per
    `schema.table`. `engine`: what built the marts (ops.publication.engine)."""
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    # copies left by a publish that was killed half-way (runs are serialised: none is in use)
    for stale in serving_db.parent.glob(f".{serving_db.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    staged = serving_db.parent / f".{serving_db.name}.{run_id}.tmp"
    rows: dict[str, int] = {}
    con = duckdb.connect(str(staged))
    try:
        con.execute(f"ATTACH '{working_db}' AS work (READ_ONLY)")
        schemas = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
        tables = con.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() "
            f"WHERE database_name = 'work' AND schema_name IN ({schemas}) ORDER BY 1, 2"
        ).fetchall()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        # the tables the semantic layer reads, in the same swap as the marts
        rows.update(publish_semantic_sources(con))
        for schema, table in tables:
            con.execute(f'CREATE TABLE {schema}."{table}" AS {_served_select(schema, table)}')
            rows[f"{schema}.{table}"] = con.execute(f'SELECT count(*) FROM {schema}."{table}"').fetchone()[0]
        if ("ops", "check_results") in tables:
            # built here, not by dbt: it must hold the dbt tests of the very build being published
            con.execute(f"CREATE TABLE marts.data_health AS {DATA_HEALTH_SQL}")
            rows["marts.data_health"] = con.execute("SELECT count(*) FROM marts.data_health").fetchone()[0]
            tables.append(("marts", "data_health"))
        _comment_marts(con, descriptions or {})
        con.execute(
            "CREATE TABLE ops.publication AS SELECT ?::VARCHAR AS run_id, ?::TIMESTAMPTZ AS published_at, "
            "?::INTEGER AS tables, ?::VARCHAR AS marts_checksum, ?::VARCHAR AS engine",
            [run_id, datetime.now(UTC), len(tables), marts_checksum(con), engine],
        )
        con.execute("DETACH work")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    # analysts' group reads it (docs/design.md): 0640 whatever the umask, before anyone can see it
    make_shared(staged)
    _fsync(staged)
    os.replace(staged, serving_db)
    _fsync(serving_db.parent)
    return rows
