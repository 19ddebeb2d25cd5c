"""Reads the serving database into the JSON-ready pieces the pages embed.

Two shapes (docs/dashboards.md):
- daily tables, long: {d: [date index], g: [group], c: {column: [values]}, groups: [...]}, with
  only additive columns (counts, sums) plus the per-day values that cannot be summed (percentiles);
  the browser sums them over the chosen range and divides, so a ratio over a range is Σ num / Σ den,
  never an average of daily ratios; a table the page-wide filters can cut carries its rows' values
  of each filter dimension too (f: {dimension: [values]});
- per-range rows for rankings and percentiles that need the detail rows (best sellers, paths,
  ticket percentiles): computed here once for each range of the control (7, 28, 90 days, all).
Only aggregates leave this module: no customer id, email, name or hashed personal key."""

from __future__ import annotations

import math
from datetime import UTC, date, timedelta
from decimal import Decimal

import duckdb

RANGE_DAYS = {"7": 7, "28": 28, "90": 90, "all": None}


def _plain(value):
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None  # JSON has no NaN; a page shows "–"
        return round(value, 4) if abs(value) >= 1 else float(f"{value:.6g}")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Reader:
    """The serving database, read-only, with the date axis (every day of marts.kpi_daily)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.dates: list[date] = [
            r[0] for r in con.execute("SELECT date FROM marts.kpi_daily ORDER BY date").fetchall()
        ]
        self.index = {d: i for i, d in enumerate(self.dates)}
        self.last: date | None = self.dates[-1] if self.dates else None  # None: nothing published has a day yet

    def has(self, schema: str, table: str) -> bool:
        return bool(
            self.con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, table]
            ).fetchone()[0]
        )

    def definitions(self, table: str) -> dict[str, str]:
        """{column: definition} of a mart: the dbt docs' descriptions, which the publish step wrote
        as column comments (empty for a column without one)."""
        return {
            column: comment or ""
            for column, comment in self.con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ?",
                [table],
            ).fetchall()
        }

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return self._query(sql, params)[1]

    def _query(self, sql: str, params: list | None = None) -> tuple[list[str], list[dict]]:
        cur = self.con.execute(sql, params or [])
        names = [c[0] for c in cur.description]
        return names, [{n: _plain(v) for n, v in zip(names, row)} for row in cur.fetchall()]

    def daily(self, sql: str, group: str | None = None, dims: tuple[str, ...] = ()) -> dict:
        """A long daily table from `sql` (a `date` column, an optional group column, values); `dims`:
        the columns that are filter dimensions (a page-wide filter keeps the rows of its value)."""
        names, rows = self._query(sql)
        cols = [c for c in names if c not in ("date", group, *dims)]
        kept = [r for r in rows if date.fromisoformat(r["date"]) in self.index]
        table = {
            "d": [self.index[date.fromisoformat(r["date"])] for r in kept],
            "g": [r[group] for r in kept] if group else [None] * len(kept),
            "c": {c: [r[c] for r in kept] for c in cols},
        }
        if dims:
            table["f"] = {dim: [r[dim] for r in kept] for dim in dims}
        table["groups"] = sorted({g for g in table["g"] if g is not None})
        return table

    def values(self, sql: str) -> list[str]:
        """The values a filter offers: the first column of `sql`, nulls left out."""
        return [r[0] for r in self.con.execute(sql).fetchall() if r[0] is not None]

    def range_start(self, key: str) -> date:
        """First day of a range of the control (ranges end on the last day of kpi_daily)."""
        days = RANGE_DAYS[key]
        if not self.dates:
            return date.min
        return self.dates[0] if days is None else max(self.dates[0], self.last - timedelta(days=days - 1))

    def by_range(self, sql: str) -> dict[str, list[dict]]:
        """`sql` once per range: its one parameter `?` (repeatable as $1) is the range's first day."""
        return {key: self.rows(sql, [self.range_start(key)]) for key in RANGE_DAYS}

    def meta(self) -> dict:
        run_id, published_at, checksum = self.con.execute(
            "SELECT run_id, published_at, marts_checksum FROM ops.publication"
        ).fetchone()
        return {
            "as_of": self.last.isoformat() if self.last else "no data yet",
            "published": published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "version": checksum or "",
            "run_id": run_id,
        }
