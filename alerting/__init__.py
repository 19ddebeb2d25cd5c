"""Alerts that reach people: after each publish, the new risk alerts and the run's failed checks
go to a webhook (JSON) and/or by mail (plain text), as architecture.md ("Alert delivery") says.
Nothing here can fail a run: a failed delivery is recorded, logged and shown by `status`.

Interface (`from alerting import name`): `deliver_alerts(con, settings, targets, run_id,
published_at) -> [Outcome]`; `ALERT_TITLES` (each rule in a manager's words).
"""

from alerting.content import ALERT_TITLES
from alerting.deliver import Outcome, deliver_alerts

__all__ = ["ALERT_TITLES", "Outcome", "deliver_alerts"]
