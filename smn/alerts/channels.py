"""Where alerts go: an incoming webhook (Slack, Mattermost, Teams) and SMTP e-mail.

A channel's `send` raises on failure; the manager retries and logs. Error
messages a channel raises never hold the webhook URL (its path is the secret)
or the SMTP password.
"""
from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlparse

from smn.alerts.model import EXAMPLE_REQUEST_IDS, Message
from smn.settings import Settings
from smn.timefmt import epoch_iso

_COLORS = {"info": "#2eb886", "warning": "#daa038", "critical": "#d00000"}


class ChannelError(Exception):
    """A send failed; the message is safe to log."""


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


def webhook_payload(message: Message) -> dict:
    """`text` for every incoming webhook (Slack, Mattermost, Teams connectors), Slack-style
    `attachments[].fields` (Mattermost renders them too), and the alert as data under `smn_alert`."""
    fields = [
        {"title": "kind", "value": message.kind, "short": True},
        {"title": "count", "value": str(message.count), "short": True},
        {"title": "first seen", "value": epoch_iso(message.first_seen), "short": True},
        {"title": "last seen", "value": epoch_iso(message.last_seen), "short": True},
        {"title": "request ids", "value": ", ".join(message.request_ids[:EXAMPLE_REQUEST_IDS]) or "-",
         "short": False},
    ]
    fields += [{"title": str(key), "value": _short(value), "short": True} for key, value in message.details.items()]
    return {
        "text": message_text(message),
        "attachments": [{"fallback": message.headline, "color": _COLORS[message.severity],
                         "title": message.title, "fields": fields}],
        "smn_alert": message.as_dict(),
    }


def message_text(message: Message) -> str:
    ids = ", ".join(message.request_ids[:EXAMPLE_REQUEST_IDS]) or "none"
    details = "; ".join(f"{key}: {_short(value)}" for key, value in message.details.items())
    return (f"{message.headline}\n{details}\ncount {message.count}, first seen {epoch_iso(message.first_seen)}, "
            f"last seen {epoch_iso(message.last_seen)}; request ids: {ids}")


def _short(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


class WebhookChannel:
    """One POST per alert with the standard library: urllib3 would log the URL (its path is the secret)
    at DEBUG level, and a connection pool buys nothing at a few messages an hour."""

    name = "webhook"

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.host = urlparse(url).hostname
        self.timeout = timeout

    def send(self, message: Message) -> None:
        body = json.dumps(webhook_payload(message), default=str).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "smn-alerts"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"webhook at {self.host} answered HTTP {exc.code}") from None
        except (OSError, ValueError) as exc:
            raise ChannelError(f"webhook at {self.host}: {type(exc).__name__}") from None


class EmailChannel:
    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.host = settings.alert_smtp_host or ""
        self.port = settings.alert_smtp_port
        self.user = settings.alert_smtp_user
        self._password = settings.alert_smtp_password
        self.sender = settings.alert_smtp_from or ""
        self.recipients = settings.alert_recipients
        self.starttls = settings.alert_smtp_starttls
        self.timeout = settings.alert_send_timeout

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.headline
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["X-SMN-Alert-Kind"] = message.kind
        mail.set_content(message_text(message) + "\n\n" + json.dumps(message.as_dict(), indent=2, default=str))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self._password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", None)
            raise ChannelError(f"smtp {self.host}:{self.port}: {type(exc).__name__}"
                               + (f" {code}" if code else "")) from None


def channels_from_settings(settings: Settings) -> list[Channel]:
    channels: list[Channel] = []
    if settings.alert_webhook_url:
        channels.append(WebhookChannel(settings.alert_webhook_url, settings.alert_send_timeout))
    if settings.alert_smtp_host:
        channels.append(EmailChannel(settings))
    return channels
