"""Pieces several pages share: the daily KPI table and widget constructors."""

from __future__ import annotations

from dashboards.queries import Reader

# The daily KPI table every page's KPI charts read: additive columns of marts.kpi_daily, the
# numerators of its ratios (ratio × denominator gives the count back), and the CSAT counts of the
# tickets (kpi_daily keeps only the share; a multi-day CSAT needs the rated tickets).
KPI_SQL = """
SELECT k.date, k.gmv, k.net_revenue, k.gross_revenue, k.paid_orders, k.placed_orders,
       k.sessions, round(k.conversion_rate * k.sessions) AS purchasing_sessions,
       k.new_customers, k.returning_customers,
       round(k.cross_border_share * k.paid_orders) AS cross_border_orders,
       k.tickets, k.page_load_p50_ms, k.page_load_p90_ms,
       t.rated, t.satisfied
FROM marts.kpi_daily k
LEFT JOIN (SELECT ticket_date AS date, count(*) FILTER (WHERE is_rated) AS rated,
                  count(*) FILTER (WHERE is_satisfied) AS satisfied
           FROM intermediate.int_tickets GROUP BY 1) t USING (date)
ORDER BY k.date
"""


def kpi_table(reader: Reader) -> dict:
    return reader.daily(KPI_SQL)


def measure(name: str, num: str, den: str | None = None, scale: float | None = None, **extra) -> dict:
    spec = {"name": name, "num": num, **extra}
    if den:
        spec["den"] = den
    if scale:
        spec["scale"] = scale
    return spec


def line(wid: str, title: str, table: str, series: list[dict], fmt: str = "int", **extra) -> dict:
    return {"type": "line", "id": wid, "title": title, "table": table, "series": series, "fmt": fmt, **extra}


def bars(wid: str, title: str, table: str, measures: list[dict], fmt: str = "int", **extra) -> dict:
    return {"type": "bars", "id": wid, "title": title, "table": table, "measures": measures, "fmt": fmt, **extra}


def table(title: str, columns: list[tuple[str, str, str]], **source) -> dict:
    """A table widget; `source` is rows= (fixed), by_range= (a key of the page's per-range rows)
    and optionally date_col= (keep rows dated inside the range) and limit=."""
    return {"type": "table", "title": title, "columns": [{"key": k, "label": label, "fmt": f} for k, label, f in columns], **source}
