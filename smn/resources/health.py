"""Liveness and readiness probes."""
from __future__ import annotations

import logging

import falcon

from smn.db import Database
from smn.errors import Problem
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooError

log = logging.getLogger("smn.health")


class HealthResource:
    """GET /healthz: the process is alive and serving; checks nothing else."""

    auth = {"public": True}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Liveness probe.
        ---
        summary: Liveness probe
        tags: [Operations]
        security: []
        responses:
          200:
            description: The process is alive.
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Health'}
        """
        resp.media = {"status": "ok"}


class ReadinessResource:
    """GET /readyz: PostgreSQL and Odoo both answer within a short timeout."""

    auth = {"public": True}

    def __init__(self, database: Database, odoo: OdooClient, timeout: float) -> None:
        self.database = database
        self.odoo = odoo
        self.timeout = timeout

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Readiness probe.
        ---
        summary: Readiness probe (PostgreSQL and Odoo)
        tags: [Operations]
        security: []
        responses:
          200:
            description: PostgreSQL and Odoo are reachable.
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Readiness'}
          503:
            description: A dependency failed; the body names it.
            content:
              application/problem+json:
                schema: {$ref: '#/components/schemas/Problem'}
        """
        checks = {"postgresql": self._check_database(), "odoo": self._check_odoo()}
        circuit = self.odoo.breaker.describe()
        failed = sorted(name for name, result in checks.items() if result != "ok")
        if failed:
            raise Problem(503, f"not ready: {', '.join(failed)} unreachable", slug="not-ready",
                          headers={"Retry-After": "5"}, extra={"checks": checks, "circuit": circuit})
        resp.media = {"status": "ready", "checks": checks, "circuit": circuit}

    def _check_database(self) -> str:
        try:
            self.database.ping(self.timeout)
            return "ok"
        except Exception as exc:
            log.warning("readiness: postgresql failed", extra={"error": type(exc).__name__})
            return "unreachable"

    def _check_odoo(self) -> str:
        try:
            self.odoo.version(timeout=self.timeout)
            return "ok"
        except OdooError as exc:
            log.warning("readiness: odoo failed", extra={"error": type(exc).__name__})
            return "unreachable"
