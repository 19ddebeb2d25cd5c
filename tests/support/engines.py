"""Two homes over one landing, one built by DuckDB and one by Spark, and the cell-by-cell
comparison of what they publish (tests/integration/test_spark_*.py)."""

from __future__ import annotations

import math
import shutil
from decimal import Decimal
from pathlib import Path

from tests.support.warehouse import fetch_rows, new_settings


def engine_homes(tmp: Path, landing: Path, **spark_settings: str):
    """A DuckDB home and a Spark home reading `landing`, sharing one personal-data key: the
    customer keys must come out the same on both engines."""
    duck = new_settings(tmp / "duckdb", landing)
    spark = new_settings(tmp / "spark", landing, WAREHOUSE_ENGINE="spark", **spark_settings)
    for settings in (duck, spark):
        settings.home.mkdir(parents=True)
    assert duck.hash_key  # made now, copied
    shutil.copy(duck.home / "hash_key", spark.home / "hash_key")
    return duck, spark


def published_marts(db: Path) -> list[str]:
    """The published marts but data_health: the record of each run's checks (run ids, times)."""
    return [
        r[0]
        for r in fetch_rows(
            db,
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name != 'data_health' "
            "ORDER BY 1",
        )
    ]


def publishing_engine(db: Path) -> str:
    return fetch_rows(db, "SELECT engine FROM ops.publication")[0][0]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return a == b and type(a) is type(b)  # money exactly, and money on both sides
    return a == b


def mart_differences(left: Path, right: Path) -> list[str]:
    """Every published mart of `left` against `right`: same tables, columns and types, same rows
    (doubles within 1e-9 relative, everything else exactly)."""
    out = []
    tables = published_marts(left)
    if published_marts(right) != tables:
        return [f"tables differ: {sorted(set(tables) ^ set(published_marts(right)))}"]
    for table in tables:
        columns = (
            "SELECT column_name, data_type FROM duckdb_columns() "
            f"WHERE schema_name = 'marts' AND table_name = '{table}' ORDER BY column_index"
        )
        if fetch_rows(left, columns) != fetch_rows(right, columns):
            out.append(f"{table}: columns {fetch_rows(left, columns)} vs {fetch_rows(right, columns)}")
            continue
        rows = f"SELECT * FROM marts.{table} ORDER BY ALL"
        a, b = fetch_rows(left, rows), fetch_rows(right, rows)
        if len(a) != len(b):
            out.append(f"{table}: {len(a)} rows vs {len(b)}")
            continue
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            bad = [k for k, (u, v) in enumerate(zip(x, y, strict=True)) if not _same(u, v)]
            if bad:
                out.append(f"{table} row {i}: {[(x[k], y[k]) for k in bad][:3]}")
                break
    return out
