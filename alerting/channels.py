"""Sending: one JSON POST to a webhook, one plain-text mail through an SMTP server. Each raises
`DeliveryFailed` with a one-line reason that names neither the webhook's path nor a password."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage

from config import SmtpServer

TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The target did not take the message; str() is the reason."""


def post_json(url: str, body: dict) -> str:
    """POST `body` as JSON; the answer's status line when it is 2xx."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "shop-warehouse"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"the webhook answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DeliveryFailed(f"the webhook could not be reached: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"the webhook could not be reached: {exc}") from None


def send_mail(server: SmtpServer, sender: str, recipients: tuple[str, ...], subject: str, text: str) -> str:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(recipients), subject
    message.set_content(text)
    try:
        if server.tls:
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if not server.tls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                client.login(server.user, server.password or "")
            refused = client.send_message(message)
    except smtplib.SMTPException as exc:
        raise DeliveryFailed(f"the mail server refused the mail: {exc.__class__.__name__}") from None
    except (TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"the mail server could not be reached: {exc}") from None
    if refused:
        return f"accepted for {len(recipients) - len(refused)} of {len(recipients)} recipients"
    return f"accepted for {len(recipients)} recipient(s)"
