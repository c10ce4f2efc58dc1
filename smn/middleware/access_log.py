"""One JSON access line per request, written when the response is done."""
from __future__ import annotations

import logging
import time

import falcon

from smn.context import current_stats
from smn.logs import log_prepared
from smn.process import current_pid

access_log = logging.getLogger("smn.access")
FREE_TEXT = ("method", "path", "remote_addr")
"""What the request chose; the other fields are numbers, enums and ids SMN chose, so only these are scrubbed."""


def _response_bytes(resp: falcon.Response) -> int | None:
    """Body size; media is serialized once and cached by Falcon, so this costs nothing extra."""
    if resp.content_length is not None:
        return int(resp.content_length)
    if resp.stream is not None:
        return None
    body = resp.render_body()
    return len(body) if body is not None else 0


class AccessLogMiddleware:
    """Logs request_id, method, route, path, status, duration_ms, client, odoo_ms, odoo_calls, bytes,
    circuit (the Odoo breaker's state at the end) and cache (hit/miss/stale/bypass on cached reads)."""

    def __init__(self, circuit: object | None = None) -> None:
        self.circuit = circuit

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        started = getattr(req.context, "started", None) or time.perf_counter()
        stats = current_stats()
        client = getattr(req.context, "client", None)
        if not access_log.isEnabledFor(logging.INFO):
            return
        fields = {
            "method": req.method,
            "route": req.uri_template,
            "path": req.path,
            "status": resp.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "client": getattr(client, "client_id", client),
            "odoo_ms": round(stats.odoo_ms, 2) if stats else 0.0,
            "odoo_calls": stats.odoo_calls if stats else 0,
            "bytes": _response_bytes(resp),
            "remote_addr": req.remote_addr,
            "pid": current_pid(),
            "circuit": getattr(self.circuit, "state", None),
            "cache": getattr(req.context, "cache", None),
        }
        log_prepared(access_log, "request", fields, FREE_TEXT)
