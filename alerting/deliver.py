"""One delivery after a publish: for each channel that is set, the alerts it has not had (at or
above the minimum severity) and the run's checks that did not pass; nothing is sent when both
are empty. A failure is recorded and returned, never raised: delivery never fails a run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from alerting import content
from alerting.channels import DeliveryFailed, post_json, send_mail
from alerting.ledger import ensure_ledger, record_attempt
from config import AlertTargets, Settings


@dataclass(frozen=True)
class Outcome:
    """What happened on one channel."""

    channel: str  # "webhook" or "email"
    target: str  # without credentials or tokens
    delivered: bool | None  # None: nothing new to send
    alerts: int
    failed_checks: int
    detail: str

    def sentence(self) -> str:
        if self.delivered is None:
            return f"{self.channel}: nothing new"
        what = f"{self.alerts} alert(s) and {self.failed_checks} failed check(s)"
        if self.delivered:
            return f"{self.channel}: sent {what} to {self.target} ({self.detail})"
        return f"{self.channel}: FAILED to send {what} to {self.target}: {self.detail}"


def deliver_alerts(
    con, settings: Settings, targets: AlertTargets, run_id: str, published_at: datetime
) -> list[Outcome]:
    """Deliver to every channel of `targets`; `con` is the working database."""
    if not targets.any:
        return []
    ensure_ledger(con)
    checks = content.failed_checks(con, run_id)
    through = content.data_through(con)
    channels = []
    if targets.webhook:
        channels.append(("webhook", targets.describe_webhook()))
    if targets.smtp:
        channels.append(("email", f"{', '.join(targets.email_to)} via {targets.smtp.describe()}"))
    outcomes = []
    for channel, target in channels:
        delivery = content.Delivery(
            warehouse=settings.warehouse_name,
            run_id=run_id,
            published_at=published_at,
            data_through=through,
            alerts=content.new_alerts(con, channel, settings.alert_min_severity),
            failed_checks=checks,
        )
        if delivery.empty:
            outcomes.append(Outcome(channel, target, None, 0, 0, "nothing new"))
            continue
        try:
            if channel == "webhook":
                detail = post_json(targets.webhook, content.payload(delivery))
            else:
                detail = send_mail(
                    targets.smtp,
                    targets.email_from,
                    targets.email_to,
                    content.subject(delivery),
                    content.mail_text(delivery, settings.alert_min_severity),
                )
            delivered = True
        except DeliveryFailed as exc:
            detail, delivered = str(exc), False
        record_attempt(
            con,
            run_id,
            channel,
            target,
            datetime.now(UTC),
            [a["alert_id"] for a in delivery.alerts],
            len(checks),
            delivered,
            detail,
        )
        outcomes.append(Outcome(channel, target, delivered, len(delivery.alerts), len(checks), detail))
    return outcomes
