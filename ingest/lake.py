"""The raw layer on disk: Parquet files partitioned by entity and batch day, which DuckDB and Spark
both read (architecture.md, "Engines").

    <lake>/raw/<entity>/batch_dt=YYYY-MM-DD/data_0.parquet

`<lake>` is WAREHOUSE_LAKE, by default the folder `lake` beside the working database. A batch day is written whole into a
fresh folder and renamed into place (the folder it replaces is renamed away first and removed
after), so a reader sees a day's old rows or its new ones, and a day that lost all its rows has no
folder. The working database keeps `raw.<entity>` as a view over its entity's files, with the
contract's columns and types and the batch day as `_batch_dt`: every reader (dbt, the quality gate,
tests) queries it as it did the table. The partition column is `batch_dt` in the files (Hive's
metastore cannot prune partitions on a column whose name starts with an underscore)."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import duckdb

from config import private_dir
from ingest.contract import ENTITIES, RAW_METADATA_COLUMNS, Entity

PARTITION = "batch_dt"
_FILE_COLUMNS = [c for c in RAW_METADATA_COLUMNS if c != "_batch_dt"]  # what a file holds besides the fields


# The lake of each working database this process opened with another lake than the default
# (ensure_raw_views), by the database file's path: ingest finds it from its connection alone.
_LAKES: dict[Path, Path] = {}

# The view statement this process last ran for each (database file, entity): a run opens the
# working database ~25 times and each opening ensures the views, which re-created (and re-bound
# over its files) every view each time, ~0.1 s per opening on a year of batch days. A view is
# created again when its statement changes (lake, files or contract) or it is missing.
_VIEWS: dict[tuple[Path, str], str] = {}


def _database_file(con: duckdb.DuckDBPyConnection) -> Path:
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    if not path:
        raise ValueError("the raw layer needs a database file (an in-memory database has no folder for its lake)")
    return Path(path).resolve()


def lake_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The lake of the working database `con` is connected to: the one its views were pointed at,
    else the folder `lake` beside the database file."""
    return _lake_of(_database_file(con))


def _lake_of(db: Path) -> Path:
    return _LAKES.get(db, db.parent / "lake")


def entity_dir(lake: Path, entity: Entity) -> Path:
    return lake / "raw" / entity.name


def day_dir(lake: Path, entity: Entity, dt: date) -> Path:
    return entity_dir(lake, entity) / f"{PARTITION}={dt.isoformat()}"


def _has_files(lake: Path, entity: Entity) -> bool:
    return any(entity_dir(lake, entity).glob(f"{PARTITION}=*/*.parquet"))


def _columns(entity: Entity) -> list[tuple[str, str]]:
    return [(f.name, f.duckdb_type) for f in entity.fields] + list(RAW_METADATA_COLUMNS.items())


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(lake: Path, entity: Entity) -> str:
    """`raw.<entity>` over its files, or an empty relation of the same columns when it has none
    (a shop that never sends the entity; DuckDB cannot scan a glob that matches nothing)."""

    def select(name: str, typ: str, source: str) -> str:
        return f'CAST({source} AS {typ}) AS "{name}"'

    if not _has_files(lake, entity):
        cols = ", ".join(select(n, t, "NULL") for n, t in _columns(entity))
        return f"CREATE OR REPLACE VIEW raw.{entity.name} AS SELECT {cols} WHERE false"
    cols = ", ".join(select(n, t, PARTITION if n == "_batch_dt" else f'"{n}"') for n, t in _columns(entity))
    files = _lit(str(entity_dir(lake, entity) / f"{PARTITION}=*" / "*.parquet"))
    return (
        f"CREATE OR REPLACE VIEW raw.{entity.name} AS SELECT {cols} "
        f"FROM read_parquet({files}, hive_partitioning = true, hive_types = {{'{PARTITION}': DATE}})"
    )


def ensure_raw_views(con: duckdb.DuckDBPyConnection, lake: Path | None = None) -> None:
    """Every entity's view, pointing at `lake` (default: beside the database, where it is now: a
    home that moved keeps its raw data). A raw table left by an earlier version of the warehouse is
    moved into the lake first."""
    db = _database_file(con)
    if lake is not None:
        _LAKES[db] = Path(lake).resolve()
    lake = private_dir(_lake_of(db))
    private_dir(lake / "raw")
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()}
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = 'raw'").fetchall()}
    for entity in ENTITIES:
        if entity.name in tables:
            _move_table_into_lake(con, lake, entity)  # its files, then its view
            continue
        statement = view_sql(lake, entity)
        if entity.name not in views or _VIEWS.get((db, entity.name)) != statement:
            _create_view(con, db, entity, statement)


def _create_view(con: duckdb.DuckDBPyConnection, db: Path, entity: Entity, statement: str) -> None:
    con.execute(statement)
    _VIEWS[(db, entity.name)] = statement


def _move_table_into_lake(con: duckdb.DuckDBPyConnection, lake: Path, entity: Entity) -> None:
    old = f"raw._{entity.name}_before_lake"  # renamed away first: the view takes its name
    con.execute(f"ALTER TABLE raw.{entity.name} RENAME TO _{entity.name}_before_lake")
    days = [r[0] for r in con.execute(f"SELECT DISTINCT _batch_dt FROM {old} ORDER BY 1").fetchall()]
    write_days(con, lake, entity, f"SELECT * FROM {old}", days)
    con.execute(f"DROP TABLE {old}")


def write_days(con: duckdb.DuckDBPyConnection, lake: Path, entity: Entity, rows_sql: str, days: list[date]) -> None:
    """Replace the files of batch days `days` with the rows of `rows_sql` (the raw columns, with
    `_batch_dt` among them): written into a fresh private folder, then each day's folder renamed
    into place; a day of `days` without rows loses its folder. Refreshes the entity's view."""
    private_dir(entity_dir(lake, entity))
    work = private_dir(lake / f".incoming-{entity.name}-{uuid.uuid4().hex[:8]}")
    try:
        fields = ", ".join(f'"{n}"' for n, _ in _columns(entity) if n != "_batch_dt")
        con.execute(
            f"COPY (SELECT {fields}, _batch_dt AS {PARTITION} FROM ({rows_sql})) TO {_lit(str(work / 'new'))} "
            f"(FORMAT parquet, PARTITION_BY ({PARTITION}), COMPRESSION zstd, FILENAME_PATTERN 'data_{{i}}')"
        )
        for dt in days:
            current, new = day_dir(lake, entity, dt), work / "new" / f"{PARTITION}={dt.isoformat()}"
            if current.exists():
                current.rename(work / f"old-{dt.isoformat()}")
            if new.exists():  # made by DuckDB with the umask's modes
                os.chmod(new, 0o700)
                for f in new.iterdir():
                    os.chmod(f, 0o600)
                new.rename(current)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _create_view(con, _database_file(con), entity, view_sql(lake, entity))
