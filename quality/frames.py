"""The pandas frames the suites validate, read from the working database with DuckDB.

GX's SQL datasource does not work on DuckDB, so each suite validates a pandas frame that DuckDB
computes: the raw table's columns (schema), the rows of the run's batch days restricted to the
columns the suite reads (rows; lean frames keep GX fast), and one row per batch day (batches).
"""

from __future__ import annotations

from datetime import date
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa

from ingest import Entity, raw_table_ddl
from quality.suites import (
    BATCH_YEAR,
    GAP_STREAK_DAYS,
    KEY_HASH,
    ORDERS,
    ROWS,
    TOTAL_TOLERANCE,
    TS_LIMIT,
    VOLUME_HISTORY,
    VOLUME_MAX_RATIO,
    VOLUME_MIN_HISTORY,
    VOLUME_MIN_RATIO,
    VOLUME_NOISE_FLOOR,
    VOLUME_NOISE_SIGMAS,
    VOLUME_PEAK_FACTOR,
    Expectation,
    key_columns,
)

SAMPLE = 5  # offending values quoted per failing expectation or batch day


def _table_columns(con, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name || ' ' || data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


@cache
def contract_columns(entity: Entity) -> tuple[str, ...]:
    """`name TYPE` of every column the contract gives the raw table, as DuckDB names the types."""
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA raw")
        con.execute(raw_table_ddl(entity))
        return tuple(_table_columns(con, "raw", entity.name))
    finally:
        con.close()


def schema_frame(con, entity: Entity) -> pd.DataFrame:
    return pd.DataFrame({"column_def": _table_columns(con, "raw", entity.name)})


def _referenced(expectations: list[Expectation]) -> list[str]:
    cols: list[str] = []
    for e in expectations:
        k = e.kwargs
        cols += [k[c] for c in ("column", "column_A", "column_B") if c in k] + list(k.get("column_list", []))
    return list(dict.fromkeys(cols))


def rows_frame(
    con, entity: Entity, days: list[date], tz: str, expectations: list[Expectation], extra: list[str] = ()
) -> pd.DataFrame:
    """The rows of batch days `days[0]..days[-1]` with the columns the expectations read (plus
    `extra`), and the derived columns `_ts_limit`/`_batch_year` when they are referenced."""
    wanted = list(dict.fromkeys(_referenced([e for e in expectations if e.frame == ROWS]) + list(extra)))
    derived = {
        TS_LIMIT: "timezone($tz, CAST(_batch_dt + INTERVAL 2 DAY AS TIMESTAMP))",
        BATCH_YEAR: "year(_batch_dt)",
        KEY_HASH: "hash(" + ", ".join(f'"{c}"' for c in key_columns(entity)) + ")",
    }
    select = [f'{derived[c]} AS "{c}"' if c in derived else f'"{c}"' for c in wanted]
    params = {"first": days[0], "last": days[-1]}
    if TS_LIMIT in wanted:
        params["tz"] = tz
    sql = f"SELECT {', '.join(select)} FROM raw.{entity.name} WHERE _batch_dt BETWEEN $first AND $last"
    # Arrow-backed columns: a quarter of the memory of Python-object strings, built 4x faster,
    # and GX validates them ~1.5x faster (docs/performance.md). Numbers are the exception: GX
    # compares a column with its bounds in one vectorised step only for NumPy ints and floats
    # (for an Arrow-backed column it calls a Python function per value: ~1 s a month of events),
    # so they become NumPy columns (nulls: NaN). Decimals become doubles, as DuckDB's own pandas
    # conversion makes them (GX compares numbers; samples print as numbers).
    table = con.sql(sql, params=params).to_arrow_table()
    table = table.cast(
        pa.schema([pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema])
    )
    return table.to_pandas(types_mapper=_arrow_backed)


def _arrow_backed(typ: pa.DataType) -> pd.ArrowDtype | None:
    """pandas dtype of a column of `rows_frame`: Arrow-backed, except NumPy for numbers."""
    return None if pa.types.is_integer(typ) or pa.types.is_floating(typ) else pd.ArrowDtype(typ)


def batches_frame(con, entity: Entity, days: list[date]) -> pd.DataFrame:
    """One row per calendar day of `days[0]..days[-1]`: counts of what arrived (null where nothing
    did: no loaded file in ops.ingest_log), quarantined share, volume against the batch days that
    arrived before it, the delivery gap (no rows after rows on each of the days before), and for
    orders and their children the rows breaking the total identity or pointing to unknown orders."""
    name = entity.name
    ctes = [
        f"""
    log AS (
        SELECT batch_dt, sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
               sum(rows_quarantined) AS rows_quarantined
        FROM ops.ingest_log WHERE entity = $entity AND status = 'loaded' GROUP BY batch_dt
    ),
    history AS (
        SELECT *, count(*) OVER w AS history_batches, median(rows_loaded) OVER w AS history_median,
               max(rows_loaded) OVER w AS history_peak
        FROM log
        WINDOW w AS (ORDER BY batch_dt ROWS BETWEEN {VOLUME_HISTORY} PRECEDING AND 1 PRECEDING)
    ),
    bounds AS (
        SELECT *,
               greatest(0, least({VOLUME_MIN_RATIO} * history_median,
                                 history_median - {VOLUME_NOISE_SIGMAS} * sqrt(history_median))) AS volume_low,
               greatest({VOLUME_MAX_RATIO} * history_median,
                        history_median + {VOLUME_NOISE_SIGMAS} * sqrt(history_median) + {VOLUME_NOISE_FLOOR},
                        {VOLUME_PEAK_FACTOR} * history_peak) AS volume_high
        FROM history
    ),
    calendar AS (
        SELECT CAST(range AS DATE) AS batch_dt FROM range(CAST($first AS DATE), CAST($last AS DATE) + INTERVAL 1 DAY,
                                                         INTERVAL 1 DAY)
    ),
    streaks AS (
        SELECT c.batch_dt, count(l.batch_dt) AS days_with_rows_before
        FROM calendar c
        LEFT JOIN log l ON l.rows_loaded > 0 AND l.batch_dt BETWEEN c.batch_dt - {GAP_STREAK_DAYS} AND c.batch_dt - 1
        GROUP BY c.batch_dt
    ),
    reasons AS (
        SELECT batch_dt, string_agg(reason || ' ' || n, ', ' ORDER BY n DESC, reason) AS reasons
        FROM (SELECT batch_dt, reason, count(*) AS n FROM ops.quarantine
              WHERE entity = $entity AND batch_dt BETWEEN $first AND $last GROUP BY ALL)
        GROUP BY batch_dt
    )"""
    ]
    columns = [
        f"""
        strftime(c.batch_dt, '%Y-%m-%d') AS batch_dt, h.rows_read, h.rows_loaded, h.rows_quarantined,
        CASE WHEN h.rows_read > 0 THEN h.rows_quarantined / h.rows_read END AS quarantined_share,
        h.rows_quarantined || ' of ' || h.rows_read || ' rows quarantined'
            || coalesce(' (' || r.reasons || ')', '') AS quarantine_detail,
        h.history_batches, h.history_median,
        CASE WHEN h.history_batches >= $min_history
             THEN (h.rows_loaded - h.volume_low) / (h.volume_high - h.volume_low) END AS volume_position,
        h.rows_loaded || ' rows loaded; ' || CAST(ceil(h.volume_low) AS BIGINT) || '..'
            || CAST(floor(h.volume_high) AS BIGINT) || ' expected from the median '
            || coalesce(regexp_replace(CAST(h.history_median AS VARCHAR), '[.]0$', ''), '-')
            || ' of the ' || h.history_batches || ' batch days before' AS volume_detail,
        CASE WHEN s.days_with_rows_before = {GAP_STREAK_DAYS} AND coalesce(h.rows_loaded, 0) = 0 THEN 1 ELSE 0 END
            AS delivery_gap,
        0 AS gap_rows,
        'no rows arrived, after rows on each of the {GAP_STREAK_DAYS} days before' AS gap_detail"""
    ]
    joins = [
        "LEFT JOIN bounds h USING (batch_dt)",
        "LEFT JOIN streaks s USING (batch_dt)",
        "LEFT JOIN reasons r USING (batch_dt)",
    ]
    if name == ORDERS:
        ctes.append(f"""
    bad_totals AS (
        SELECT _batch_dt AS batch_dt, count(*) AS n,
               list(order_id || ' (total ' || printf('%.2f', total_amount) || ', parts give '
                    || printf('%.2f', items_subtotal - discount_amount + shipping_fee + tax_amount) || ')'
                    ORDER BY _file, _line)[1:{SAMPLE}] AS sample
        FROM raw.shop_orders
        WHERE _batch_dt BETWEEN $first AND $last
          AND abs(total_amount - (items_subtotal - discount_amount + shipping_fee + tax_amount)) > {TOTAL_TOLERANCE}
        GROUP BY 1
    )""")
        columns.append("""
        coalesce(b.n, 0) AS bad_total_rows,
        CASE WHEN h.rows_loaded > 0 THEN coalesce(b.n, 0) / h.rows_loaded END AS bad_total_share,
        coalesce(b.n, 0) || ' of ' || h.rows_loaded || ' order rows off'
            || coalesce(': ' || array_to_string(b.sample, ', '), '') AS bad_total_detail""")
        joins.append("LEFT JOIN bad_totals b USING (batch_dt)")
    if name in ("shop_order_items", "shop_payments", "shop_refunds"):
        # the orders of the window's rows only, not every order of the history: the range test
        # first lets the scan skip the order files whose ids cannot match where ids grow with time
        # (as in_id_range, macros/incremental.sql)
        ctes.append(f"""
    window_rows AS (
        SELECT _batch_dt, order_id FROM raw.{name} WHERE _batch_dt BETWEEN $first AND $last
    ),
    known_orders AS (
        SELECT order_id, min(_batch_dt) AS first_dt FROM raw.shop_orders
        WHERE order_id >= (SELECT min(order_id) FROM window_rows)
          AND order_id <= (SELECT max(order_id) FROM window_rows)
          AND order_id IN (SELECT order_id FROM window_rows) GROUP BY 1
    ),
    unknown_orders AS (
        SELECT c._batch_dt AS batch_dt, count(*) AS n,
               list_sort(list_distinct(list(c.order_id)))[1:{SAMPLE}] AS sample
        FROM window_rows c
        LEFT JOIN known_orders o USING (order_id)
        WHERE o.first_dt IS NULL OR o.first_dt > c._batch_dt
        GROUP BY 1
    )""")
        columns.append("""
        coalesce(u.n, 0) AS unknown_order_rows,
        CASE WHEN h.rows_loaded > 0 THEN coalesce(u.n, 0) / h.rows_loaded END AS unknown_order_share,
        coalesce(u.n, 0) || ' of ' || h.rows_loaded || ' rows point to unknown orders'
            || coalesce(': order_id ' || array_to_string(u.sample, ', '), '') AS unknown_order_detail""")
        joins.append("LEFT JOIN unknown_orders u USING (batch_dt)")
    sql = f"WITH {','.join(ctes)}\nSELECT {','.join(columns)}\nFROM calendar c {' '.join(joins)}\nORDER BY c.batch_dt"
    params = {"entity": name, "first": days[0], "last": days[-1], "min_history": VOLUME_MIN_HISTORY}
    return con.execute(sql, params).df()
