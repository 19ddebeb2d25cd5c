"""Read-only access to the serving database, for people and for the dashboards."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import polars as pl

from config import Settings


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


class QueryError(RuntimeError):
    """DuckDB's message for a query, on one line and whole: its hints (`Did you mean ...?`,
    `Candidate bindings: ...`) kept."""


def one_line(message: str) -> str:
    """A multi-line DuckDB message as one line; the `^^^` line under a quoted query is dropped."""
    lines = [line.strip() for line in message.splitlines()]
    return " ".join(line for line in lines if line and line.strip("^"))


class ServingResult:
    """The rows of one query, read straight from the DuckDB cursor as Python tuples."""

    CHUNK = 10_000

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.columns = [column[0] for column in con.description or ()]

    def fetch(self, n: int) -> list[tuple]:
        """The next `n` rows."""
        if not self.columns:
            return []
        try:
            return self._con.fetchmany(n)
        except duckdb.Error as exc:
            raise QueryError(one_line(str(exc))) from exc

    def __iter__(self):
        """Every remaining row, read a chunk at a time."""
        while chunk := self.fetch(self.CHUNK):
            yield from chunk

    def count_rest(self) -> int:
        """The number of remaining rows, counted without turning them into Python objects."""
        if not self.columns:
            return 0
        try:
            with warnings.catch_warnings():  # "Arrow output on a DB-API result makes an extra copy"
                warnings.simplefilter("ignore")
                return sum(batch.num_rows for batch in self._con.to_arrow_reader(100_000))
        except duckdb.Error as exc:
            raise QueryError(one_line(str(exc))) from exc


@contextmanager
def serving_query(settings: Settings, sql: str) -> Iterator[ServingResult]:
    """Run read-only `sql` on the serving database; DuckDB errors raise QueryError (one line)."""
    con = connect_serving(settings)
    try:
        try:
            con.execute(sql)
        except duckdb.Error as exc:
            raise QueryError(one_line(str(exc))) from exc
        yield ServingResult(con)
    finally:
        con.close()


def fetch_serving(settings: Settings, sql: str, max_rows: int | None = None) -> tuple[list[str], list[tuple], int]:
    """(columns, the first `max_rows` rows or all of them, the number of rows of the whole result)."""
    with serving_query(settings, sql) as result:
        if max_rows is None:
            rows = list(result)
            return result.columns, rows, len(rows)
        rows = result.fetch(max_rows) if max_rows > 0 else []
        return result.columns, rows, len(rows) + result.count_rest()
