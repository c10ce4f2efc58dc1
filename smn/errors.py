"""Every error as application/problem+json (RFC 9457).

Resources raise `Problem` (or any falcon.HTTPError); Odoo faults raised by
smn.odoo are turned into problems here, and anything unexpected becomes a 500
whose traceback goes to the log, never to the body.
"""
from __future__ import annotations

import json
import logging
import math
from http import HTTPStatus
from typing import Any

import falcon

from smn.context import current_request_id
from smn.odoo.errors import OdooError, OdooUnavailable

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"
log = logging.getLogger("smn.errors")


def problem_type(slug: str) -> str:
    """Problem types are relative URIs documented in docs/errors.md."""
    return PROBLEM_BASE + slug


def _status_slug(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "-").replace("'", "")
    except ValueError:
        return "error"


class Problem(falcon.HTTPError):
    """An RFC 9457 problem: status, title, detail, a type slug and field errors."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        slug: str | None = None,
        errors: list[dict[str, Any]] | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        super().__init__(status, title=title or phrase, description=detail, headers=headers)
        self.slug = slug or _status_slug(status)
        self.errors = errors
        self.extra = extra or {}


def problem_body(exception: falcon.HTTPError) -> dict[str, Any]:
    status_code = exception.status_code
    body: dict[str, Any] = {
        "type": problem_type(getattr(exception, "slug", None) or _status_slug(status_code)),
        "title": exception.title or HTTPStatus(status_code).phrase,
        "status": status_code,
    }
    if exception.description:
        body["detail"] = exception.description
    body["request_id"] = current_request_id()
    errors = getattr(exception, "errors", None)
    if errors:
        body["errors"] = errors
    body.update(getattr(exception, "extra", None) or {})
    return body


def serialize_problem(req: falcon.Request, resp: falcon.Response, exception: falcon.HTTPError) -> None:
    """Falcon error serializer: always problem+json, whatever the Accept header."""
    resp.content_type = PROBLEM_CONTENT_TYPE
    resp.data = json.dumps(problem_body(exception)).encode()
    resp.append_header("Vary", "Accept")


def handle_odoo_error(req: falcon.Request, resp: falcon.Response, ex: OdooError, params: dict) -> None:
    headers = {"Retry-After": retry_after(ex.retry_in)} if isinstance(ex, OdooUnavailable) else None
    status = ex.http_status
    if status >= 500 and not isinstance(ex, OdooUnavailable):
        log.error("odoo fault", extra={"odoo_error": ex.odoo_name, "status": status})
    detail = ex.message if status in (403, 404, 422) else _upstream_detail(ex)
    raise Problem(status, detail, slug=_odoo_slug(ex), headers=headers)


def retry_after(seconds: float) -> str:
    """Retry-After in whole seconds (RFC 9110 §10.2.3), never 0."""
    return str(max(1, math.ceil(seconds)))


def _upstream_detail(ex: OdooError) -> str:
    if isinstance(ex, OdooUnavailable):
        return "Odoo is unreachable right now; retry later."
    return "Odoo answered with an unexpected error."


def _odoo_slug(ex: OdooError) -> str:
    return {503: "odoo-unavailable", 502: "odoo-error", 422: "odoo-rejected",
            403: "odoo-forbidden", 404: "not-found"}.get(ex.http_status, "odoo-error")


def handle_unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, params: dict) -> None:
    """A 500 is always a bug: log the traceback with the request id, answer plainly."""
    log.exception("unhandled error on %s %s", req.method, req.path)
    raise Problem(500, "An unexpected error occurred; quote the request_id when reporting it.")


def register_error_handlers(app: falcon.App) -> None:
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(OdooError, handle_odoo_error)
