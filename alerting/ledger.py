"""What was delivered, in the working database (published with the other `ops` tables):

- `ops.delivered_alerts`: each alert once per channel it reached, so a later publish sends only
  alerts that channel has not had (a failed delivery leaves them to the next one);
- `ops.alert_deliveries`: every attempt, delivered or not, with the reason of a failure.
"""

from __future__ import annotations

from datetime import datetime

DELIVERED_ALERTS_DDL = """CREATE TABLE IF NOT EXISTS ops.delivered_alerts (
  channel VARCHAR NOT NULL, alert_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, delivered_at TIMESTAMPTZ NOT NULL
)"""
ALERT_DELIVERIES_DDL = """CREATE TABLE IF NOT EXISTS ops.alert_deliveries (
  run_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, target VARCHAR NOT NULL, attempted_at TIMESTAMPTZ NOT NULL,
  delivered BOOLEAN NOT NULL, alerts INTEGER NOT NULL, failed_checks INTEGER NOT NULL, detail VARCHAR
)"""


def ensure_ledger(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS ops")
    con.execute(DELIVERED_ALERTS_DDL)
    con.execute(ALERT_DELIVERIES_DDL)


def record_attempt(
    con,
    run_id: str,
    channel: str,
    target: str,
    at: datetime,
    alert_ids: list[str],
    failed_checks: int,
    delivered: bool,
    detail: str,
) -> None:
    """One attempt, and when it reached its channel, the alerts it carried."""
    con.execute(
        "INSERT INTO ops.alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, channel, target, at, delivered, len(alert_ids), failed_checks, detail],
    )
    if delivered and alert_ids:
        con.executemany(
            "INSERT INTO ops.delivered_alerts VALUES (?, ?, ?, ?)",
            [(channel, alert_id, run_id, at) for alert_id in alert_ids],
        )
