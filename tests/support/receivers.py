"""Real receivers on 127.0.0.1 for delivery tests: an HTTP server that records each POST, an SMTP
server (aiosmtpd) that records each mail, and a port where nobody listens."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def webhook_receiver(status: int = 200):
    """Yields (url, posts): each POST as {"path", "content_type", "body"} (body parsed as JSON)."""
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            posts.append({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": json.loads(raw)})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/robot?access_token=secret-token", posts
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_receiver():
    """Yields (smtp_url, mails): each mail as {"from", "to", "message"} (an email.message)."""
    from aiosmtpd.controller import Controller

    mails: list[dict] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
            mails.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "message": message_from_bytes(envelope.content, policy=default),
                }
            )
            return "250 OK"

    port = closed_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mails
    finally:
        controller.stop()
