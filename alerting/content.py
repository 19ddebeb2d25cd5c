"""What a delivery says: the new alerts of a channel, the run's checks that did not pass, the JSON
of architecture.md ("Alert delivery") and the same as a plain-text mail.

Read from the working database after the publish of the same run: `marts.risk_alerts` holds what
was just published, `ops.check_results` the run's checks, `ops.ingest_log` the last batch day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from config import SEVERITIES

# The rules in a manager's words (docs/analytics.md, "Risk early warning").
ALERT_TITLES = {
    "order_velocity": "Many orders from one device or IP address",
    "amount_outlier": "An unusually large order",
    "refund_abuse": "A customer with most orders refunded",
    "payment_failures": "Payments failing",
    "kpi_anomaly": "A KPI far from what was expected",
    "stockout": "A top seller out of stock",
    "service_sla": "Service replies too slow",
    "page_load": "Pages loading slowly",
}

_ALERT_COLUMNS = (
    "alert_id",
    "alert_date",
    "alert_type",
    "severity",
    "entity",
    "metric_value",
    "threshold",
    "explanation",
)


@dataclass(frozen=True)
class Delivery:
    """What one delivery carries."""

    warehouse: str
    run_id: str
    published_at: datetime
    data_through: date | None
    alerts: list[dict]
    failed_checks: list[dict]

    @property
    def empty(self) -> bool:
        return not (self.alerts or self.failed_checks)


def severities_from(minimum: str) -> tuple[str, ...]:
    return SEVERITIES[SEVERITIES.index(minimum) :]


def new_alerts(con, channel: str, minimum: str) -> list[dict]:
    """`risk_alerts` rows at or above `minimum` that `channel` has not had, oldest day first and
    the most severe first within a day."""
    chosen = severities_from(minimum)
    rows = con.execute(
        f"""
        SELECT {", ".join(_ALERT_COLUMNS)}
        FROM marts.risk_alerts
        WHERE severity IN ({", ".join("?" for _ in chosen)})
          AND alert_id NOT IN (SELECT alert_id FROM ops.delivered_alerts WHERE channel = ?)
        ORDER BY alert_date, list_position(['high', 'medium', 'low'], severity), alert_type, entity
        """,
        [*chosen, channel],
    ).fetchall()
    alerts = [dict(zip(_ALERT_COLUMNS, row, strict=True)) for row in rows]
    for alert in alerts:
        alert["alert_date"] = alert["alert_date"].isoformat()
    return alerts


def failed_checks(con, run_id: str) -> list[dict]:
    """The run's checks (the gate's and dbt's tests) that failed or warned."""
    rows = con.execute(
        "SELECT check_name, asset, detail FROM ops.check_results WHERE run_id = ? AND NOT passed "
        "ORDER BY checked_at, check_name",
        [run_id],
    ).fetchall()
    return [{"check_name": name, "asset": asset, "detail": detail or ""} for name, asset, detail in rows]


def data_through(con) -> date | None:
    """The last complete day: the latest batch day that loaded rows of any entity."""
    return con.execute(
        "SELECT max(batch_dt) FROM ops.ingest_log WHERE status = 'loaded' AND rows_loaded > 0"
    ).fetchone()[0]


def payload(delivery: Delivery) -> dict:
    """The webhook's JSON (architecture.md)."""
    return {
        "warehouse": delivery.warehouse,
        "run_id": delivery.run_id,
        "published_at": delivery.published_at.isoformat(),
        "data_through": delivery.data_through.isoformat() if delivery.data_through else None,
        "alerts": delivery.alerts,
        "failed_checks": delivery.failed_checks,
    }


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def subject(delivery: Delivery) -> str:
    parts = []
    if delivery.alerts:
        parts.append(_count(len(delivery.alerts), "new alert", "new alerts"))
    if delivery.failed_checks:
        parts.append(_count(len(delivery.failed_checks), "check did not pass", "checks did not pass"))
    through = f" (data through {delivery.data_through:%d %b %Y})" if delivery.data_through else ""
    return f"{delivery.warehouse}: {' and '.join(parts)}{through}"


def mail_text(delivery: Delivery, minimum: str) -> str:
    """The same as the payload, as a plain-text mail a manager reads."""
    through = f"{delivery.data_through:%A %d %B %Y}" if delivery.data_through else "no day yet"
    lines = [
        f"The shop warehouse {delivery.warehouse} published new numbers at "
        f"{delivery.published_at:%Y-%m-%d %H:%M} UTC, with data through {through}.",
        "",
    ]
    if delivery.alerts:
        lines.append(f"New alerts ({' and '.join(severities_from(minimum))} severity):")
        for alert in delivery.alerts:
            title = ALERT_TITLES.get(alert["alert_type"], alert["alert_type"])
            lines.append(f"- {alert['alert_date']}, {alert['severity'].upper()}: {title}. {alert['explanation']}")
        lines.append("")
    if delivery.failed_checks:
        lines.append("Data checks that did not pass in this run (the numbers were still published):")
        for check in delivery.failed_checks:
            detail = " ".join(check["detail"].split())
            lines.append(f"- {check['check_name']} on {check['asset']}: {detail[:300]}")
        lines.append("")
    lines.append(f"Run {delivery.run_id}. Alerts are listed once; the dashboards' risk page has them all.")
    return "\n".join(lines) + "\n"
