"""Typed Odoo failures, one class per thing SMN answers a partner differently.

Odoo reports a fault as ``error.data`` (JSON-RPC) or as the bare body of a
4xx/5xx answer (JSON-2); both carry the same ``name`` (the Python exception's
qualified name), ``message``, ``arguments`` and ``debug`` (a server traceback).
Only ``message`` is kept: ``debug`` is a traceback that may name paths,
queries and record values, so it never reaches an exception or a log line.
"""
from __future__ import annotations

from typing import Any


class OdooError(Exception):
    """Base of every Odoo client failure.

    ``http_status`` is what SMN answers its partner, ``retryable`` whether the
    same request may succeed later without any change on the partner's side.
    """

    http_status: int = 502
    retryable: bool = False

    def __init__(self, message: str, *, odoo_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.odoo_name = odoo_name

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, odoo_name={self.odoo_name!r})"


class OdooUnavailable(OdooError):
    """Odoo cannot be reached or its proxy says it is down (deploys, restarts).

    ``retry_in`` is the wait SMN advises in Retry-After; the circuit breaker and
    the bulkhead know better than this default and set their own.
    """

    http_status = 503
    retryable = True
    retry_in: float = 5.0


class OdooTimeout(OdooUnavailable):
    """Odoo did not accept the connection or answer within the timeout."""


class OdooUserError(OdooError):
    """Odoo refused the operation for a business reason the partner can fix."""

    http_status = 422


class OdooValidationError(OdooUserError):
    """A constraint failed (required field, recursion, check constraint...)."""


class OdooAccessError(OdooError):
    """The Odoo user SMN acts as may not do this."""

    http_status = 403


class OdooMissingError(OdooError):
    """The record or model does not exist (or was deleted meanwhile)."""

    http_status = 404


class OdooAuthenticationError(OdooError):
    """SMN's own Odoo credentials were refused: a gateway fault, not the partner's."""

    http_status = 502


class OdooServerError(OdooError):
    """Any other fault raised inside Odoo (programming errors, database errors)."""

    http_status = 502


class OdooProtocolError(OdooError):
    """The answer is not a JSON-RPC or JSON-2 answer at all (wrong URL, HTML page)."""

    http_status = 502


ERROR_CLASSES: dict[str, type[OdooError]] = {
    "odoo.exceptions.UserError": OdooUserError,
    "odoo.exceptions.RedirectWarning": OdooUserError,
    "odoo.exceptions.Warning": OdooUserError,
    "odoo.exceptions.except_orm": OdooUserError,
    "odoo.exceptions.ValidationError": OdooValidationError,
    "odoo.exceptions.AccessError": OdooAccessError,
    "odoo.exceptions.MissingError": OdooMissingError,
    "odoo.exceptions.AccessDenied": OdooAuthenticationError,
    "odoo.http.SessionExpiredException": OdooAuthenticationError,
}
"""``error.data.name`` -> class; names not listed here become OdooServerError."""

JSON2_ERROR_CLASSES: dict[str, type[OdooError]] = {
    **ERROR_CLASSES,
    "werkzeug.exceptions.Unauthorized": OdooAuthenticationError,
    "werkzeug.exceptions.NotFound": OdooMissingError,
}
"""JSON-2 also answers routing and bearer-key faults as werkzeug exceptions."""


def error_message(data: dict[str, Any]) -> str:
    """Odoo's human message: ``message``, else the first argument, never ``debug``."""
    message = data.get("message")
    if not message:
        arguments = data.get("arguments") or []
        message = arguments[0] if arguments else None
    return str(message) if message else "Odoo reported an error"


def error_from_payload(data: dict[str, Any], protocol: str = "jsonrpc") -> OdooError:
    """Build the typed exception for an Odoo error object.

    ``data`` is ``error["data"]`` of a JSON-RPC answer or the whole body of a
    JSON-2 error answer; ``protocol`` is "jsonrpc" or "json2".
    """
    table = JSON2_ERROR_CLASSES if protocol == "json2" else ERROR_CLASSES
    name = data.get("name")
    cls = table.get(name, OdooServerError) if isinstance(name, str) else OdooServerError
    return cls(error_message(data), odoo_name=name if isinstance(name, str) else None)
