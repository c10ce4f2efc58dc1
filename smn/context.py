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


class _RandomHex(threading.local):
    """Each thread's supply of random hex digits: 256 request ids' worth per os.urandom call.

    os.urandom releases the GIL around its system call; once per request,
    that let another of the worker's threads take the GIL mid-request and
    cost about 9 µs (bench.profile). Drawing for 256 ids at once keeps the
    ids from the same CSPRNG. The pid check refills a forked child's copy.
    """

    def __init__(self) -> None:
        self.digits = ""
        self.offset = 0
        self.pid = 0

    def take32(self) -> str:
        if self.offset >= len(self.digits) or self.pid != current_pid():
            self.digits, self.offset, self.pid = os.urandom(16 * _IDS_PER_DRAW).hex(), 0, current_pid()
        start = self.offset
        self.offset = start + 32
        return self.digits[start:start + 32]


_random_hex = _RandomHex()


def new_request_id() -> str:
    """A random (version 4) UUID in the form str(uuid.uuid4()) has, without a UUID object or a system call."""
    text = _random_hex.take32()
    variant = "89ab"[int(text[16], 16) & 3]
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:]}"


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
