"""MetricsMiddleware: counts each request (and its read-cache result) in the process's tally (smn.metrics)."""
from __future__ import annotations

import re
import time

import falcon

from smn import metrics
from smn.metrics import Metrics

UNMATCHED_ROUTE = "unmatched"
"""The route label of requests no route matched: the raw path would let anyone mint label values."""
_CONVERTER = re.compile(r"\{(\w+):[^}]*\}")
_routes: dict[str, str] = {}


def route_label(template: str | None) -> str:
    """"/v1/products/{product_id:int(min=1)}" -> "/v1/products/{product_id}" (memoised: templates are few)."""
    if not template:
        return UNMATCHED_ROUTE
    label = _routes.get(template)
    if label is None:
        label = _routes[template] = _CONVERTER.sub(r"{\1}", template)
    return label


class MetricsMiddleware:
    """Labels: method, route template (never the raw path), status, client id ("-" when anonymous)."""

    def __init__(self, registry: Metrics) -> None:
        self.registry = registry

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.metrics_started = time.perf_counter()
        self.registry.ensure_started()

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         req_succeeded: bool) -> None:
        started = getattr(req.context, "metrics_started", None)
        if started is None:
            return
        client = getattr(req.context, "client", None)
        metrics.observe_request(req.method, route_label(req.uri_template), resp.status_code,
                                getattr(client, "client_id", None) or "-", time.perf_counter() - started)
        cache = getattr(req.context, "cache", None)
        if cache:
            metrics.observe_cache(str(cache))
