"""Compare marts with expected numbers or a reference frame, with the tolerance money needs."""

from __future__ import annotations

import math
from datetime import date

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


def same(got, want, rel_tol: float = 0.0) -> bool:
    """Equal values: nulls only to nulls, flags, text and dates exactly, numbers within TOLERANCE
    (or `rel_tol` of their size, for values scaled up from rounded money)."""
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, (bool, str, date)):
        return got == want
    return math.isclose(float(got), float(want), rel_tol=rel_tol, abs_tol=TOLERANCE)


def frame_differences(actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str], rel_tol: float = 0.0) -> list[str]:
    """What differs between a mart and its reference frame matched on `keys` (the first 20)."""
    assert tuple(actual.columns) == tuple(expected.columns), (actual.columns, expected.columns)
    got = {tuple(r[k] for k in keys): r for r in actual.iter_rows(named=True)}
    want = {tuple(r[k] for k in keys): r for r in expected.iter_rows(named=True)}
    assert len(got) == actual.height and len(want) == expected.height, "duplicate keys"
    problems = []
    if sorted(got) != sorted(want):
        problems.append(
            f"keys only in the mart {sorted(set(got) - set(want))[:5]}, only in the reference {sorted(set(want) - set(got))[:5]}"
        )
    for key in sorted(set(got) & set(want)):
        for column in expected.columns:
            if not same(got[key][column], want[key][column], rel_tol):
                problems.append(f"{key} {column}: got {got[key][column]!r}, expected {want[key][column]!r}")
    return problems[:20]
