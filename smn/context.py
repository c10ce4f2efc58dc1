"""Per-request context shared by middleware, logging and the Odoo client.

Falcon runs each request in one thread from start to finish (gunicorn gthread),
so context variables carry the request id and the request's Odoo timings to
every log line and every outgoing Odoo call without passing them around.
"""
from __future__ import annotations

import os
import re
import threading
from contextvars import ContextVar, Token

from smn.process import current_pid

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_ENVIRON = "HTTP_X_REQUEST_ID"
"""The header's WSGI environ key (PEP 3333), read directly: Falcon's get_header builds it on every call."""
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestScope:
    """One request's id and what it spent on Odoo (filled in by the Odoo client).

    One object in one context variable (one set and one reset per request),
    made for every request: a plain slotted class rather than a dataclass.
    """

    __slots__ = ("request_id", "odoo_calls", "odoo_ms")

    def __init__(self, request_id: str | None = None) -> None:
        self.request_id = request_id
        self.odoo_calls = 0
        self.odoo_ms = 0.0

    def record_odoo_call(self, elapsed_ms: float) -> None:
        self.odoo_calls += 1
        self.odoo_ms += elapsed_ms


request_var: ContextVar[RequestScope | None] = ContextVar("smn_request", default=None)


def is_sane_request_id(value: str | None) -> bool:
    """True when an inbound X-Request-Id may be trusted and echoed as is."""
    return bool(value) and _SANE_REQUEST_ID.match(value) is not None


_IDS_PER_DRAW = 256


class _RequestIds(threading.local):
    """Each thread's supply of request ids, made 256 at a time from one os.urandom call.

    os.urandom releases the GIL around its system call; once per request,
    that let another of the worker's threads take the GIL mid-request and
    cost about 9 µs (bench.profile). Drawing and formatting 256 ids in one go
    keeps them from the same CSPRNG and leaves a list pop per request
    (issue #7: formatting each id inside its request cost ~2 µs under
    gunicorn). The pid check refills a forked child's copy.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.pid = 0

    def take(self) -> str:
        if not self.ids or self.pid != current_pid():
            self.ids, self.pid = _format_ids(os.urandom(16 * _IDS_PER_DRAW).hex()), current_pid()
        return self.ids.pop()


def _format_ids(digits: str) -> list[str]:
    """32 random hex digits per id -> random (version 4) UUIDs in the form str(uuid.uuid4()) has."""
    return [f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{'89ab'[int(text[16], 16) & 3]}{text[17:20]}-{text[20:]}"
            for text in (digits[start:start + 32] for start in range(0, len(digits), 32))]


_request_ids = _RequestIds()


def new_request_id() -> str:
    """A random (version 4) UUID string, without a UUID object or a system call per id."""
    return _request_ids.take()


def current_request_id() -> str | None:
    scope = request_var.get()
    return scope.request_id if scope is not None else None


def current_stats() -> RequestScope | None:
    return request_var.get()


def bind_request(request_id: str) -> Token:
    """Bind a request id and fresh stats to the current thread's context."""
    return request_var.set(RequestScope(request_id))


def unbind_request(token: Token) -> None:
    request_var.reset(token)
