"""Page 4, Customers: new vs returning, repurchase, cohort retention, RFM segments."""

from __future__ import annotations

from dashboards.pages.common import kpi_table, line, measure, table
from dashboards.queries import Reader

FILE, TITLE = "customers.html", "Customers"

COHORT_SQL = "SELECT strftime(cohort_month, '%Y-%m') AS cohort, month_offset, retention, cohort_size FROM marts.cohort_retention ORDER BY 1, 2"
SEGMENTS_SQL = """
SELECT segment, count(*) AS customers, count(*) / sum(count(*)) OVER () AS share,
       sum(monetary) AS value, avg(monetary) AS avg_value, avg(frequency) AS avg_orders,
       avg(recency_days) AS avg_recency_days
FROM marts.customer_rfm GROUP BY segment ORDER BY value DESC
"""
# repurchase rate over the trailing 365 days of the RFM as-of date (customer_rfm's window) and over
# all the data (repurchase_all_time): the served database holds no customer id, so a repurchase
# rate per range cannot be computed from it
REPURCHASE_SQL = """
SELECT (SELECT count(*) FILTER (WHERE frequency >= 2) / count(*) FROM marts.customer_rfm) AS rfm_365,
       (SELECT any_value(as_of_date) FROM marts.customer_rfm) AS as_of,
       (SELECT any_value(repurchase_rate) FROM marts.repurchase_all_time) AS all_time
"""
RANGE_FACTS_SQL = """
SELECT sum(new_customers) AS new, sum(returning_customers) AS returning,
       sum(returning_customers) / nullif(sum(new_customers) + sum(returning_customers), 0) AS returning_share
FROM marts.kpi_daily WHERE date >= $1
"""


def _facts(reader: Reader) -> dict[str, list[str]]:
    rep = reader.rows(REPURCHASE_SQL)[0]
    fixed = []
    if rep["rfm_365"] is not None:
        fixed.append(
            f"Repurchase rate, 365 days to {rep['as_of']}: {rep['rfm_365']:.1%} of buying customers ordered at least twice."
        )
    if rep["all_time"] is not None:
        fixed.append(f"Repurchase rate, all data: {rep['all_time']:.1%}.")
    out = {}
    for key, rows in reader.by_range(RANGE_FACTS_SQL).items():
        r = rows[0]
        share = (
            ""
            if r["returning_share"] is None
            else f" ({r['returning_share']:.1%} of buying customer-days were returning customers)"
        )
        out[key] = [
            f"{r['new'] or 0:,.0f} new and {r['returning'] or 0:,.0f} returning customer-days in the range{share}."
        ] + fixed
    return out


def _heatmap(reader: Reader) -> dict:
    rows = reader.rows(COHORT_SQL)
    cohorts = sorted({r["cohort"] for r in rows})
    # month 0 is 100 % by definition: left out, so the colours spread over the months that vary
    offsets = sorted({r["month_offset"] for r in rows} - {0}) or [0]
    cell = {(r["cohort"], r["month_offset"]): r["retention"] for r in rows}
    size = {r["cohort"]: r["cohort_size"] for r in rows}
    return {
        "type": "heatmap",
        "id": "cohorts",
        "title": "Cohort retention (share of a month's new customers buying again)",
        "note": "all cohorts (new customers in brackets), whatever the range; month 0 is 100 %",
        "x": offsets,
        "xtitle": "months after the first order",
        "y": [f"{c} ({size[c]:,})" for c in cohorts],
        "z": [[cell.get((c, k)) for k in offsets] for c in cohorts],
    }


def build(reader: Reader) -> dict:
    kpi = kpi_table(reader, "new_customers", "returning_customers")
    segments = reader.rows(SEGMENTS_SQL)
    widgets = [
        line(
            "new-returning",
            "New vs returning customers per day",
            "kpi",
            [measure("new", "new_customers"), measure("returning", "returning_customers")],
            kind="bar",
            barmode="stack",
            wide=True,
        ),
        {"type": "text", "title": "Repurchase", "by_range": "facts"},
        _heatmap(reader),
        {
            "type": "sbar",
            "id": "rfm",
            "title": "RFM segments: customers and value",
            "note": "as of the last day, 365 days of orders",
            "x": [s["segment"] for s in segments],
            "series": [
                {"name": "customers", "y": [s["customers"] for s in segments]},
                {"name": "value (gross revenue)", "y": [s["value"] for s in segments], "yaxis": "y2"},
            ],
            "fmt": "int",
            "y2fmt": "money",
        },
        table(
            "RFM segments",
            [
                ("segment", "segment", "text"),
                ("customers", "customers", "int"),
                ("share", "share", "pct"),
                ("value", "value", "money"),
                ("avg_value", "avg value", "money"),
                ("avg_orders", "avg orders", "num2"),
                ("avg_recency_days", "recency (days)", "int"),
            ],
            rows=segments,
            wide=True,
        ),
    ]
    return {"widgets": widgets, "tables": {"kpi": kpi}, "by_range": {"facts": _facts(reader)}}
