"""Read-only access to the serving database, for people and for the dashboards."""

from __future__ import annotations

import duckdb
import polars as pl

from orchestration.settings import Settings


class NotPublishedYet(RuntimeError):
    pass


def connect_serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    if not settings.serving_db.exists():
        raise NotPublishedYet(f"no serving database at {settings.serving_db} yet: run `warehouse run` first")
    return duckdb.connect(str(settings.serving_db), read_only=True)


def query_serving(settings: Settings, sql: str) -> pl.DataFrame:
    con = connect_serving(settings)
    try:
        relation = con.sql(sql)
        return relation.pl() if relation is not None else pl.DataFrame()
    finally:
        con.close()
