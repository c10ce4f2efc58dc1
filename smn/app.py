"""create_app(settings): the one place that wires SMN together."""
from __future__ import annotations

from dataclasses import dataclass

import falcon

from smn import metrics as prom
from smn.admin.routes import (
    AdminParts,
    add_admin_routes,
    add_builder_routes,
    build_admin,
)
from smn.alerts import Alerts, build_alerts
from smn.auth.runtime import Auth, build_auth
from smn.cache import ReadCache
from smn.db import Database
from smn.errors import register_error_handlers
from smn.metrics import Metrics
from smn.middleware.access_log import AccessLogMiddleware
from smn.middleware.auth import AuthMiddleware
from smn.middleware.context import ContextMiddleware
from smn.middleware.error_rate import ErrorRateMiddleware
from smn.middleware.metrics import MetricsMiddleware
from smn.middleware.rate_limit import RateLimitMiddleware
from smn.odoo.client import OdooClient
from smn.outbox.store import OutboxStore
from smn.ratelimit import LeaseStore, RateLimiter
from smn.resources.auth import add_auth_routes
from smn.resources.docs import add_docs_routes
from smn.resources.health import HealthResource, ReadinessResource
from smn.resources.jobs import add_job_routes
from smn.resources.metrics import MetricsResource, PublicMetricsResource
from smn.resources.partner_api import add_partner_api_routes
from smn.settings import Settings


@dataclass
class Services:
    """The collaborators resources need; tests may pass their own."""

    settings: Settings
    database: Database
    odoo: OdooClient
    # Filled in by complete_services when a caller's Services lack them.
    auth: Auth | None = None
    reads: ReadCache | None = None
    outbox: OutboxStore | None = None
    limiter: RateLimiter | None = None
    metrics: Metrics | None = None
    alerts: Alerts | None = None
    admin: AdminParts | None = None

    def close(self) -> None:
        """Stop this process's background threads (flushing what they hold), then its connections."""
        for part in (self.alerts, self.reads, self.limiter, self.metrics, self.auth,
                     self.admin.registry if self.admin else None):
            if part is not None:
                part.close()
        self.database.close()
        self.odoo.close()


class SmnApp(falcon.App):
    """falcon.App declares __slots__; this adds the one attribute SMN hangs on it (for worker_exit)."""

    __slots__ = ("smn_services",)


def build_services(settings: Settings) -> Services:
    if not settings.database_url:
        raise ValueError("SMN_DATABASE_URL must be resolved before the app is created (see smn.stack)")
    if not settings.odoo_url:
        raise ValueError("SMN_ODOO_URL must be resolved before the app is created (see smn.stack)")
    database = Database(settings.database_url, settings.db_pool_max)
    return complete_services(Services(settings=settings, database=database, odoo=OdooClient.from_settings(settings)))


def complete_services(services: Services) -> Services:
    """Build every collaborator the caller did not supply (tests supply some of their own)."""
    settings, database = services.settings, services.database
    if services.auth is None:
        services.auth = build_auth(settings, database)
    if services.reads is None:
        services.reads = ReadCache.from_settings(settings, database)
    if services.outbox is None:
        services.outbox = OutboxStore(database)
    if services.limiter is None:
        services.limiter = RateLimiter(LeaseStore(database.url), lease_wait=settings.rate_limit_lease_wait)
    if services.metrics is None:
        services.metrics = build_metrics(services)
    if services.alerts is None:
        services.alerts = build_alerts(settings, database, services.odoo)
    if services.admin is None:
        services.admin = build_admin(settings, services)
    return services


def create_app(settings: Settings, services: Services | None = None) -> falcon.App:
    """Build the Falcon app: middleware in request order, error handlers, routes."""
    services = complete_services(services or build_services(settings))
    app = SmnApp(
        middleware=[ContextMiddleware(), AccessLogMiddleware(circuit=services.odoo.breaker),
                    ErrorRateMiddleware(services.alerts.error_window),
                    MetricsMiddleware(services.metrics), AuthMiddleware(services.auth.verifier),
                    services.admin.middleware,
                    RateLimitMiddleware(services.limiter, services.settings.rate_limit_per_second,
                                        services.settings.rate_limit_burst, prom.observe_rate_limited)],
        cors_enable=False,
    )
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.default_media_type = falcon.MEDIA_JSON
    register_error_handlers(app)
    add_routes(app, services)
    app.smn_services = services
    return app


def build_metrics(services: Services) -> Metrics:
    """The metrics plumbing and the hooks it observes (wired once per Services)."""
    settings, odoo = services.settings, services.odoo
    registry = Metrics(settings.metrics_refresh_interval)
    if odoo.bulkhead is not None:
        odoo.bulkhead.on_reject = prom.observe_bulkhead_rejection
    odoo.call_observer = prom.observe_odoo_call
    odoo.breaker.on_change(prom.observe_circuit)
    registry.every_refresh(prom.odoo_refresher(odoo))
    registry.every_refresh(prom.auth_view_refresher(services.auth.state))
    if services.reads is not None:
        registry.every_refresh(prom.snapshot_refresher(services.reads.writer))
    registry.on_scrape(prom.outbox_hook(services.outbox))
    return registry


def add_routes(app: falcon.App, services: Services) -> None:
    settings = services.settings
    app.add_route("/healthz", HealthResource())
    app.add_route("/readyz", ReadinessResource(services.database, services.odoo, settings.readiness_timeout))
    add_partner_api_routes(app, services)
    add_job_routes(app, services)
    add_docs_routes(app, services)
    add_auth_routes(app, services.auth)
    metrics = PublicMetricsResource if settings.metrics_public else MetricsResource
    app.add_route("/metrics", metrics(services.metrics))
    add_builder_routes(app, services.admin, services)
    add_admin_routes(app, services.admin)
