"""Pieces several pages share: the daily KPI table, widget constructors and page-wide filters."""

from __future__ import annotations

from dashboards.queries import Reader

# The daily KPI table the pages' KPI charts read: additive columns of marts.kpi_daily, the
# numerators of its ratios (ratio × denominator gives the count back), and the CSAT counts of the
# tickets from marts.service_daily (kpi_daily keeps only the share; a multi-day CSAT needs the
# rated tickets). Column -> its SQL; a page asks for the columns it shows.
KPI_COLUMNS = {
    "gmv": "k.gmv",
    "net_revenue": "k.net_revenue",
    "gross_revenue": "k.gross_revenue",
    "paid_orders": "k.paid_orders",
    "placed_orders": "k.placed_orders",
    "sessions": "k.sessions",
    "purchasing_sessions": "round(k.conversion_rate * k.sessions)",
    "new_customers": "k.new_customers",
    "returning_customers": "k.returning_customers",
    "cross_border_orders": "round(k.cross_border_share * k.paid_orders)",
    "tickets": "k.tickets",
    "page_load_p50_ms": "k.page_load_p50_ms",
    "page_load_p90_ms": "k.page_load_p90_ms",
    "rated": "t.rated",
    "satisfied": "t.satisfied",
    # 1 for a day whose net revenue refunds can still lower (kpi_daily.is_final false), else 0
    "provisional": "CASE WHEN k.is_final THEN 0 ELSE 1 END",
}
CSAT_COLUMNS = ("rated", "satisfied")
CSAT_JOIN = """
LEFT JOIN (SELECT date, sum(rated_tickets) AS rated, sum(satisfied_tickets) AS satisfied
           FROM marts.service_daily GROUP BY 1) t USING (date)"""


def kpi_sql(columns: tuple[str, ...] = tuple(KPI_COLUMNS)) -> str:
    """The KPI table's SQL for `columns`; service_daily is read only when a CSAT count is asked for."""
    select = ", ".join(f"{KPI_COLUMNS[c]} AS {c}" for c in columns)
    join = CSAT_JOIN if set(columns) & set(CSAT_COLUMNS) else ""
    return f"SELECT k.date, {select}\nFROM marts.kpi_daily k{join}\nORDER BY k.date\n"


def kpi_table(reader: Reader, *columns: str) -> dict:
    """The daily KPI table with `columns` (all of them when none is named)."""
    return reader.daily(kpi_sql(columns or tuple(KPI_COLUMNS)))


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
    return {
        "type": "table",
        "title": title,
        "columns": [{"key": k, "label": label, "fmt": f} for k, label, f in columns],
        **source,
    }


def cards(
    table: str,
    specs: tuple,
    definitions: dict[str, str],
    targets: dict[str, dict] | None = None,
    provisional: dict[str, str] | None = None,
) -> dict:
    """A row of KPI cards over the daily table `table`. `specs`: (key, label, format, numerator,
    denominator) each, a card's value over any span of days being Σ numerator / Σ denominator (just
    Σ numerator without one); each card carries its definition (shown on hover), the month's
    target where one is set, and, for a key of `provisional`, is marked provisional over the days
    the table's `provisional` column flags, the value saying why."""
    provisional = provisional or {}
    targets = targets or {}
    return {
        "type": "cards",
        "table": table,
        "cards": [
            {
                "key": key,
                "label": label,
                "fmt": fmt,
                "num": num,
                "definition": definitions.get(key, ""),
                **({"target": targets[key]} if key in targets else {}),
                **({"den": den} if den else {}),
                **({"provisional": "provisional", "provisional_why": provisional[key]} if key in provisional else {}),
            }
            for key, label, fmt, num, den in specs
        ],
    }


def page_filter(dim: str, label: str, values: list[str]) -> dict:
    """A page-wide filter: a dimension, its label and the values it offers ("all" is added by the
    page). Widgets it can cut keep the rows of the chosen value: a daily table through its `f`
    columns, a table through `match` (a column of its rows) or `sliced` (rows computed per value,
    with by_<dim> null on the whole shop's rows); the others say they show the whole shop."""
    return {"dim": dim, "label": label, "values": values}
