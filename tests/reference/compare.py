"""Compare a kpi_daily frame with expected numbers, with the tolerance money needs."""

from __future__ import annotations

import math

import polars as pl

TOLERANCE = 0.01


def mismatches(actual: pl.DataFrame, expected: dict) -> list[str]:
    """Every (day, column) where `actual` differs from `expected` ({date: {column: value}}).

    None means the value must be null; numbers must agree within TOLERANCE.
    """
    rows = {r["date"]: r for r in actual.iter_rows(named=True)}
    problems = []
    if sorted(rows) != sorted(expected):
        problems.append(f"dates {sorted(rows)} != expected {sorted(expected)}")
    for day, columns in sorted(expected.items()):
        row = rows.get(day)
        if row is None:
            continue
        for column, want in columns.items():
            got = row[column]
            if want is None or got is None:
                ok = want is None and got is None
            else:
                ok = math.isclose(float(got), float(want), abs_tol=TOLERANCE)
            if not ok:
                problems.append(f"{day} {column}: got {got!r}, expected {want!r}")
    return problems


def as_expected(frame: pl.DataFrame) -> dict:
    """A kpi_daily frame in the {date: {column: value}} shape `mismatches` takes."""
    return {r.pop("date"): r for r in frame.iter_rows(named=True)}
