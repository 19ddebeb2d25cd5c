"""Write–audit–publish: bring a copy of the serving database up to date with the audited marts
(and ops history), writing only what changed, and swap it over the serving database with an
atomic rename. Readers hold either the old file or the new one, never a mix, and never wait on a
lock: nobody but this function writes serving files. `marts.data_health` is built on the way from
`ops.check_results` (quality/results.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from config import make_shared
from ingest import ENTITIES
from quality import DATA_HEALTH_SQL
from serving.checksum import marts_checksum
from serving.semantic_sources import DAY_COLUMNS, SEMANTIC_SOURCES, semantic_source_selects
from serving.table_refresh import DIGESTS_SCHEMA, digests_name, refresh_table

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
    tool (DBeaver, Superset) shows beside a table or column. Only comments that differ are written:
    the staged copy keeps the last publication's, and a mart left as it was needs none of its
    hundreds of statements again."""
    columns_now = {
        (table, column): comment
        for table, column, comment in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'marts'"
        ).fetchall()
    }
    tables_now = dict(
        con.execute(
            "SELECT table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name = 'marts'"
        ).fetchall()
    )
    for table, (description, columns) in descriptions.items():
        if table not in tables_now:
            continue
        if description and tables_now[table] != description:
            con.execute(f'COMMENT ON TABLE marts."{table}" IS {_quoted(description)}')
        for column, text in columns.items():
            if text and (table, column) in columns_now and columns_now[(table, column)] != text:
                con.execute(f'COMMENT ON COLUMN marts."{table}"."{column}" IS {_quoted(text)}')


def _start_from_last(serving_db: Path, staged: Path) -> duckdb.DuckDBPyConnection:
    """The staged copy, opened: a copy of the last serving file, so that only what changed is
    written (serving/table_refresh.py); an empty file when there is none or it cannot be opened."""
    if serving_db.exists():
        try:
            shutil.copyfile(serving_db, staged)
            return duckdb.connect(str(staged))
        except (OSError, duckdb.Error):
            staged.unlink(missing_ok=True)
    return duckdb.connect(str(staged))


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
    con = _start_from_last(serving_db, staged)
    try:
        con.execute(f"ATTACH '{working_db}' AS work (READ_ONLY)")
        schemas = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
        tables = con.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() "
            f"WHERE database_name = 'work' AND schema_name IN ({schemas}) ORDER BY 1, 2"
        ).fetchall()
        # the tables the semantic layer reads, in the same swap as the marts
        served = semantic_source_selects(con)
        served.update({(schema, table): _served_select(schema, table) for schema, table in tables})
        # what the last publication held and this one does not; data_health and the publication
        # record are made anew below
        kept_digests = {digests_name(schema, table) for schema, table in served}
        for schema, table in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall():
            if (schema, table) not in served and not (schema == DIGESTS_SCHEMA and table in kept_digests):
                con.execute(f'DROP TABLE {schema}."{table}"')
        for schema in sorted({*PUBLISHED_SCHEMAS, *(schema for schema, _ in served)}):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for (schema, table), select in served.items():
            day = DAY_COLUMNS.get(table) if (schema, table) in SEMANTIC_SOURCES else None
            rows[f"{schema}.{table}"] = refresh_table(con, schema, table, select, day).rows
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
