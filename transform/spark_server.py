"""Landing through a Spark Thrift Server (WAREHOUSE_SPARK_THRIFT): when a server built the dbt
project, its tables live in the server's catalog, wherever its storage is; they are read through
the server (PyHive), not from files, and written into the working DuckDB database with the types
Spark declares (the same types a landing from Spark's Parquet files gets).

Dates and timestamps travel as Spark's own text of them and are cast back in DuckDB: exact, and
independent of how the driver renders them. Numbers travel as numbers (decimals as decimals)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
import pyarrow as pa

USER = "warehouse"
FETCH_ROWS = 10_000

# Spark type -> (Arrow type of the fetched values, DuckDB type of the landed column)
_SIMPLE = {
    "string": (pa.string(), "VARCHAR"),
    "boolean": (pa.bool_(), "BOOLEAN"),
    "tinyint": (pa.int8(), "TINYINT"),
    "smallint": (pa.int16(), "SMALLINT"),
    "int": (pa.int32(), "INTEGER"),
    "bigint": (pa.int64(), "BIGINT"),
    "float": (pa.float32(), "FLOAT"),
    "double": (pa.float64(), "DOUBLE"),
    "date": (pa.string(), "DATE"),
    "timestamp": (pa.string(), "TIMESTAMPTZ"),  # an instant; the session's zone is UTC
    "timestamp_ntz": (pa.string(), "TIMESTAMP"),
}
_TEXT = {"date", "timestamp", "timestamp_ntz"}


def connect(address: str):
    """A PyHive connection to the server at host:port, in the zone every build assumes."""
    from pyhive import hive

    host, port = address.rsplit(":", 1)
    return hive.connect(host=host, port=int(port), username=USER, configuration={"spark.sql.session.timeZone": "UTC"})


def column_types(cursor, relation: str) -> list[tuple[str, str]]:
    """(name, Spark type) of a table's columns, partition columns included once."""
    cursor.execute(f"DESCRIBE TABLE {relation}")
    columns = []
    for name, kind, *_ in cursor.fetchall():
        if not name or name.startswith("#"):  # the partition section repeats partition columns
            break
        columns.append((name, kind.lower()))
    return columns


def _types(kind: str) -> tuple[pa.DataType, str]:
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    decimal = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", kind)
    if decimal:
        precision, scale = int(decimal[1]), int(decimal[2])
        return pa.decimal128(precision, scale), f"DECIMAL({precision},{scale})"
    raise ValueError(f"a landed column of Spark type {kind}: not a type the marts use")


def _spark_q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def land_table(con: duckdb.DuckDBPyConnection, cursor, schema: str, table: str, order: Iterable[str] = ()) -> int:
    """Replace `schema.table` of the working database with the server's table; its row count.
    Columns in `order` when it names the same columns (dbt's declared order), else Spark's."""
    spark_columns = column_types(cursor, f"{schema}.{table}")
    wanted = list(order)
    if sorted(wanted) == sorted(n for n, _ in spark_columns):
        kinds = dict(spark_columns)
        spark_columns = [(n, kinds[n]) for n in wanted]
    selected = ", ".join(f"CAST({_spark_q(n)} AS STRING)" if k in _TEXT else _spark_q(n) for n, k in spark_columns)
    cursor.execute(f"SELECT {selected} FROM {schema}.{table}")
    rows = []
    while batch := cursor.fetchmany(FETCH_ROWS):
        rows.extend(batch)
    arrays = {
        name: pa.array([row[i] for row in rows], type=_types(kind)[0]) for i, (name, kind) in enumerate(spark_columns)
    }
    casts = ", ".join(f"CAST({_value(n, k)} AS {_types(k)[1]}) AS {_q(n)}" for n, k in spark_columns)
    con.register("landing_batch", pa.table(arrays))
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(f"CREATE OR REPLACE TABLE {schema}.{_q(table)} AS SELECT {casts} FROM landing_batch")
    finally:
        con.unregister("landing_batch")
    return len(rows)


def _value(name: str, kind: str) -> str:
    # Spark's text of an instant is in the session's zone, UTC
    return f"{_q(name)} || '+00'" if kind == "timestamp" else _q(name)
