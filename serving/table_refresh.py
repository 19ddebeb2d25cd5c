"""Bring one table of the staged serving copy up to date with what the working database now serves,
writing only what changed: a publish starts from a copy of the last serving file, and a daily run
changes a few days of tables that hold years (the sessions: ~6M rows on the medium shop, whose
full copy was ~9 of a publish's ~15 s).

What changed is found by content: the row count and the sum of DuckDB's 64-bit hash of every row,
per table, or per day of a table's day column (the multiset digest of serving/checksum.py). Days
whose digests differ are deleted and inserted again; a table whose columns changed is replaced.

A day table's digests as the serving file holds it are kept in that file (schema DIGESTS_SCHEMA,
written in the same swap as the rows they digest), so a publish hashes only the working side: the
serving side is what the last publish inserted. A table without them (a file written before they
were kept) is digested from its rows."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# the per-day digests of `schema.table` of the serving file: table DIGESTS_SCHEMA."schema.table"
DIGESTS_SCHEMA = "publish_state"


@dataclass(frozen=True)
class Refreshed:
    rows: int
    how: str  # created | replaced | kept | days


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {relation}").fetchall()]


def refresh_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, select: str, day_column: str | None = None
) -> Refreshed:
    """Make `schema`.`table` of `con`'s database hold exactly the rows of `select`. With
    `day_column`, only the days whose rows differ are rewritten."""
    target = f'{schema}."{table}"'
    digests = (DIGESTS_SCHEMA, digests_name(schema, table))
    if _exists(con, schema, table) and _columns(con, target) == _columns(con, f"({select})"):
        how = (
            _refresh_days(con, target, select, day_column, digests)
            if day_column
            else _refresh_whole(con, target, select)
        )
    else:
        how = "replaced" if _exists(con, schema, table) else "created"
        con.execute(f"CREATE OR REPLACE TABLE {target} AS {select}")
        if day_column:
            _keep_digests(con, digests, _digest(target, day_column))
    return Refreshed(con.execute(f"SELECT count(*) FROM {target}").fetchone()[0], how)


def digests_name(schema: str, table: str) -> str:
    """The name, in DIGESTS_SCHEMA, of the day digests of `schema`.`table`."""
    return f"{schema}.{table}"


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _digest(relation: str, by: str | None = None) -> str:
    key = f'r."{by}" AS day, ' if by else ""
    group = " GROUP BY ALL" if by else ""
    return f"SELECT {key}count(*) AS n, coalesce(sum(hash(r)::HUGEINT), 0) AS h FROM {relation} AS r{group}"


def _keep_digests(con: duckdb.DuckDBPyConnection, digests: tuple[str, str], select: str) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {digests[0]}")
    con.execute(f'CREATE OR REPLACE TABLE {digests[0]}."{digests[1]}" AS {select}')


def _refresh_whole(con: duckdb.DuckDBPyConnection, target: str, select: str) -> str:
    new, old = (con.execute(_digest(relation)).fetchone() for relation in (f"({select})", target))
    if new == old:
        return "kept"
    con.execute(f"CREATE OR REPLACE TABLE {target} AS {select}")
    return "replaced"


def _refresh_days(con: duckdb.DuckDBPyConnection, target: str, select: str, day: str, digests: tuple[str, str]) -> str:
    """Rewrite the days of `target` whose digest differs from `select`'s, and keep `select`'s
    digests as the table `digests` (schema, name) for the next publish."""
    stored = f'{digests[0]}."{digests[1]}"'
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_digests AS {_digest(f'({select})', day)}")
    old = f"SELECT day, n, h FROM {stored}" if _exists(con, *digests) else _digest(target, day)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE changed_days AS "
        f"SELECT coalesce(new.day, old.day) AS day "
        f"FROM new_digests AS new FULL JOIN ({old}) AS old "
        f"ON new.day IS NOT DISTINCT FROM old.day "
        f"WHERE new.n IS DISTINCT FROM old.n OR new.h IS DISTINCT FROM old.h"
    )
    changed = con.execute("SELECT count(*) FROM changed_days").fetchone()[0]
    if changed:
        con.execute(f'DELETE FROM {target} AS t USING changed_days AS c WHERE t."{day}" IS NOT DISTINCT FROM c.day')
        con.execute(
            f"INSERT INTO {target} SELECT s.* FROM ({select}) AS s SEMI JOIN changed_days AS c "
            f'ON s."{day}" IS NOT DISTINCT FROM c.day'
        )
    _keep_digests(con, digests, "SELECT * FROM new_digests")
    con.execute("DROP TABLE changed_days; DROP TABLE new_digests")
    return f"{changed} days" if changed else "kept"
