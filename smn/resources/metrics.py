"""GET /metrics: Prometheus text exposition of every worker of this instance."""
from __future__ import annotations

import falcon

from smn.auth.scopes import requires_scope
from smn.metrics import Metrics

METRICS_SCOPE = "metrics:read"


class MetricsResource:
    """Needs a bearer token with metrics:read (Prometheus' `oauth2` client-credentials scrape config)."""

    def __init__(self, registry: Metrics) -> None:
        self.registry = registry

    @requires_scope(METRICS_SCOPE)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Prometheus metrics.
        ---
        summary: Prometheus metrics
        description: >
          Requests, latencies, Odoo calls, circuit state, outbox backlog, cache results,
          auth view and rate-limit rejections of every worker, in the Prometheus text format.
          Needs the `metrics:read` scope unless SMN_METRICS_PUBLIC=true.
        tags: [Operations]
        responses:
          200:
            description: Prometheus text exposition format 0.0.4.
            content: {text/plain: {schema: {type: string}}}
          403:
            description: "The token lacks metrics:read."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        self._send(resp)

    def _send(self, resp: falcon.Response) -> None:
        body, content_type = self.registry.render()
        resp.data = body
        resp.content_type = content_type
        resp.cache_control = ["no-store"]


class PublicMetricsResource(MetricsResource):
    """The same, without a token (SMN_METRICS_PUBLIC=true: scrapers on a private network)."""

    auth = {"public": True}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Prometheus metrics (public).
        ---
        summary: Prometheus metrics
        description: Public because SMN_METRICS_PUBLIC=true.
        tags: [Operations]
        security: []
        responses:
          200:
            description: Prometheus text exposition format 0.0.4.
            content: {text/plain: {schema: {type: string}}}
        """
        self._send(resp)
