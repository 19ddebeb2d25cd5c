"""Where alerts go (architecture.md, "Alert delivery"): a webhook and/or mail through an SMTP
server, each off unless set.

The two addresses may carry credentials (a chat robot's webhook URL holds its token, an SMTP URL
a password), so like WAREHOUSE_HASH_KEY they are read from the environment where they are used
and never copied into `Settings`: Dagster shows and stores the settings it is given, and these
must not reach its UI, its event log or our logs. `describe()` names a target without them.

    alert_targets(settings, environ=os.environ) -> AlertTargets     (SettingsError when unusable)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from config.settings import Settings, SettingsError

WEBHOOK_VARIABLE = "WAREHOUSE_ALERT_WEBHOOK"
SMTP_VARIABLE = "WAREHOUSE_SMTP_URL"
_ADDRESS = re.compile(r"^[^@\s,]+@[^@\s,]+$")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # smtps:// : TLS from the first byte
    user: str | None
    password: str | None

    def describe(self) -> str:
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class AlertTargets:
    webhook: str | None
    smtp: SmtpServer | None
    email_to: tuple[str, ...]
    email_from: str

    @property
    def any(self) -> bool:
        return bool(self.webhook or self.smtp)

    def describe_webhook(self) -> str:
        """The webhook without its path and query (where tokens live)."""
        parts = urlsplit(self.webhook or "")
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _unusable(variable: str, shown: str, reason: str) -> SettingsError:
    return SettingsError(f"{variable}={shown} is not usable: {reason}")


def _webhook(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = f"{parts.scheme}://…" if parts.scheme else "(not a URL)"
        raise _unusable(WEBHOOK_VARIABLE, shown, "expected an http:// or https:// URL")
    return value


def _smtp(value: str) -> SmtpServer:
    parts = urlsplit(value)
    shown = f"{parts.scheme}://{parts.hostname or ''}…"  # never the password
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise _unusable(SMTP_VARIABLE, shown, "expected smtp://user:pass@host:port (smtps:// for TLS)")
    try:
        port = parts.port
    except ValueError:
        raise _unusable(SMTP_VARIABLE, shown, "the port is not a number from 1 to 65535") from None
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        tls=tls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def alert_targets(settings: Settings, environ: Mapping[str, str] = os.environ) -> AlertTargets:
    """The delivery targets of `settings` and the environment's secret addresses."""
    webhook = environ.get(WEBHOOK_VARIABLE, "").strip()
    smtp_url = environ.get(SMTP_VARIABLE, "").strip()
    recipients = tuple(a.strip() for a in settings.alert_email_to.split(",") if a.strip())
    smtp = _smtp(smtp_url) if smtp_url else None
    if smtp:
        if not recipients:
            raise SettingsError(f"WAREHOUSE_ALERT_EMAIL_TO is needed with {SMTP_VARIABLE}: whom to mail")
        if not settings.alert_email_from:
            raise SettingsError(f"WAREHOUSE_ALERT_EMAIL_FROM is needed with {SMTP_VARIABLE}: the sender")
    addresses = [("WAREHOUSE_ALERT_EMAIL_TO", a) for a in recipients]
    addresses.append(("WAREHOUSE_ALERT_EMAIL_FROM", settings.alert_email_from))
    for variable, address in addresses:
        if address and not _ADDRESS.match(address):
            raise SettingsError(f"{variable}: e-mail address {address!r} is not usable: expected name@domain")
    return AlertTargets(
        webhook=_webhook(webhook) if webhook else None,
        smtp=smtp,
        email_to=recipients,
        email_from=settings.alert_email_from,
    )
