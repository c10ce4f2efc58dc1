"""Real receivers for alerts on 127.0.0.1: an HTTP incoming-webhook endpoint and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from aiosmtpd.controller import Controller

from smn.db import Database
from tests.auth.helpers import wait_until

WEBHOOK_SECRET_PATH = "/hooks/T000-secret-path-part"


class WebhookReceiver:
    """Collects posted JSON bodies; `hang_for` makes it sit on every request that long first."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.hang_for = 0.0
        self.status = 200
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.hang_for:
                    receiver._release.wait(receiver.hang_for)
                receiver.bodies.append(json.loads(raw))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{WEBHOOK_SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_kind(self, kind: str) -> list[dict]:
        return [body for body in self.bodies if body["smn_alert"]["kind"] == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        wait_until(lambda: len(self.of_kind(kind)) >= count, timeout=timeout)
        return self.of_kind(kind)

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def of_kind(self, kind: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["X-SMN-Alert-Kind"] == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        wait_until(lambda: len(self.of_kind(kind)) >= count, timeout=timeout)
        return self.of_kind(kind)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture()
def mailbox() -> Iterator[MailReceiver]:
    handler = MailReceiver()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


@pytest.fixture()
def alert_settings(settings, webhook, mailbox):
    """The session settings with both channels pointing at the local receivers."""
    return settings.replace(alert_webhook_url=webhook.url, alert_smtp_host="127.0.0.1", alert_smtp_port=mailbox.port,
                            alert_smtp_starttls=False, alert_smtp_user=None, alert_smtp_from="smn@example.test",
                            alert_smtp_to="ops@example.test, oncall@example.test", alert_send_timeout=1.0,
                            alert_send_attempts=2, alert_cooldown=300)


@pytest.fixture()
def database(database_url) -> Iterator[Database]:
    """A pool of its own, with the alerts table emptied so that folds start fresh."""
    db = Database(database_url, 4)
    db.execute("DELETE FROM alerts")
    yield db
    db.close()
