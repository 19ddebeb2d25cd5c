"""The tables the semantic layer reads, copied into the serving database at publish.

MetricFlow (`warehouse metrics`, `mf query`) queries the models its semantic models sit on
(transform/models/semantic/), which are intermediate models of the working database. Only the
pipeline opens that file, so publish copies these tables next to the marts, in the same atomic
swap: a metric and the mart it reconciles with always come from the same run. They keep their
schema and table names, so the relation names in the dbt manifest resolve in either database
(docs/design.md, "Semantic layer").

Customer ids are not copied: marts expose customers only as hashed keys, and no metric needs
them (the semantic models declare no dimension or entity on them).
"""

from __future__ import annotations

import duckdb

# (schema, table) of every model a semantic model or the time spine points to; a test checks the
# list against the semantic manifest.
SEMANTIC_SOURCES = (
    ("intermediate", "int_orders"),
    ("intermediate", "int_order_items"),
    ("intermediate", "int_order_item_costs"),
    ("intermediate", "int_products"),
    ("intermediate", "int_refunds"),
    ("intermediate", "int_customer_first_orders"),
    ("intermediate", "int_sessions"),
    ("intermediate", "int_session_channels"),
    ("intermediate", "int_tickets"),
    ("utilities", "metricflow_time_spine"),
)

# Columns left out of the served copies: customer identifiers in clear text.
WITHHELD_COLUMNS = ("customer_id", "user_id")


# The day column by which publish rewrites only the days that changed (serving/table_refresh.py):
# these tables hold every session or order of the shop's history, and a run changes a few days.
DAY_COLUMNS = {
    "int_orders": "order_date",
    "int_order_items": "order_date",
    "int_order_item_costs": "order_date",
    "int_refunds": "order_date",
    "int_sessions": "session_date",
    "int_session_channels": "session_date",
    "int_tickets": "ticket_date",
}


def semantic_source_selects(con: duckdb.DuckDBPyConnection, source: str = "work") -> dict[tuple[str, str], str]:
    """What publish serves of each semantic source: (schema, table) -> SELECT over the attached
    database `source`. Tables the working database lacks (a scratch database without dbt models)
    are left out: then no metric can be queried, and `warehouse metrics` says so."""
    present = {
        (schema, table): columns
        for schema, table, columns in con.execute(
            "SELECT schema_name, table_name, list(column_name) FROM duckdb_columns() "
            "WHERE database_name = ? GROUP BY ALL",
            [source],
        ).fetchall()
    }
    selects = {}
    for schema, table in SEMANTIC_SOURCES:
        if (schema, table) not in present:
            continue
        withheld = [c for c in WITHHELD_COLUMNS if c in present[(schema, table)]]
        exclude = f" EXCLUDE ({', '.join(withheld)})" if withheld else ""
        selects[(schema, table)] = f'SELECT *{exclude} FROM {source}.{schema}."{table}"'
    return selects
