"""Page 1, Overview: the KPI cards, active risk alerts and data freshness."""

from __future__ import annotations

from alerting import ALERT_TITLES
from dashboards.pages.common import cards, kpi_table, table
from dashboards.queries import Reader

FILE, TITLE = "index.html", "Overview"

# (key, label, format, numerator, denominator): a card's value over any span of days is
# Σ numerator / Σ denominator of the daily KPI table (just Σ numerator without one)
CARDS = (
    ("gmv", "GMV", "money", "gmv", None),
    ("net_revenue", "Net revenue", "money", "net_revenue", None),
    ("paid_orders", "Paid orders", "int", "paid_orders", None),
    ("aov", "AOV", "money", "gross_revenue", "paid_orders"),
    ("sessions", "Sessions", "int", "sessions", None),
    ("conversion_rate", "Conversion rate", "pct", "purchasing_sessions", "sessions"),
    ("new_customers", "New customers", "int", "new_customers", None),
    ("csat", "CSAT", "pct", "satisfied", "rated"),
)

ALERTS_SQL = """
SELECT alert_date, alert_type, severity, explanation
FROM marts.risk_alerts
ORDER BY alert_date DESC, CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, alert_type
"""

# the whole shop's targets of the month of the last day (target_tracking; empty without plan/targets)
TARGETS_SQL = """
SELECT metric, strftime(month, '%B %Y') AS month, target, actual_to_date, pace, projected, on_track,
       days_elapsed, days_in_month
FROM marts.target_tracking
WHERE channel = 'all' AND month = date_trunc('month', (SELECT max(date) FROM marts.kpi_daily))
"""

FRESHNESS_SQL = """
SELECT entity AS source, max(batch_dt) AS latest_batch_day,
       strftime(max(ingested_at) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC') AS last_loaded,
       ? - max(batch_dt) AS days_behind, count(*) AS files, sum(rows_loaded) AS rows_loaded
FROM ops.ingest_log WHERE status = 'loaded' GROUP BY entity ORDER BY entity
"""


# Cards whose value refunds can still lower on days inside the refund window (kpi_daily.is_final)
PROVISIONAL_CARDS = {"net_revenue": "refunds can still lower this value"}


def _targets(reader: Reader) -> dict[str, dict]:
    if not reader.has("marts", "target_tracking"):
        return {}
    return {row.pop("metric"): row for row in reader.rows(TARGETS_SQL)}


def freshness_table(reader: Reader) -> dict:
    return table(
        "Data freshness per source",
        [
            ("source", "source", "text"),
            ("latest_batch_day", "latest batch day", "text"),
            ("days_behind", "days behind", "int"),
            ("last_loaded", "last loaded", "text"),
            ("files", "files", "int"),
            ("rows_loaded", "rows", "int"),
        ],
        rows=reader.rows(FRESHNESS_SQL, [reader.last]),
        wide=True,
    )


def build(reader: Reader) -> dict:
    alerts = reader.rows(ALERTS_SQL)
    for alert in alerts:  # the rule in a manager's words; the entity (a hashed key) stays out of the page
        alert["title"] = ALERT_TITLES.get(alert["alert_type"], alert["alert_type"])
    widgets = [
        cards("kpi", CARDS, reader.definitions("kpi_daily"), _targets(reader), PROVISIONAL_CARDS),
        {
            "type": "alerts",
            "title": "Risk alerts in the range",
            "rows": alerts,
            "date_col": "alert_date",
            "limit": 15,
            "empty": "no risk alert in this range",
            "wide": True,
        },
        freshness_table(reader),
    ]
    return {"widgets": widgets, "tables": {"kpi": kpi_table(reader)}}
