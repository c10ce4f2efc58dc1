"""create_app(settings): the one place that wires SMN together."""
from __future__ import annotations

from dataclasses import dataclass

import falcon

from smn.auth.runtime import Auth, build_auth
from smn.db import Database
from smn.errors import register_error_handlers
from smn.middleware.access_log import AccessLogMiddleware
from smn.middleware.auth import AuthMiddleware
from smn.middleware.context import ContextMiddleware
from smn.odoo.client import OdooClient
from smn.resources.auth import add_auth_routes
from smn.resources.docs import add_docs_routes
from smn.resources.health import HealthResource, ReadinessResource
from smn.resources.partner_api import add_partner_api_routes
from smn.settings import Settings


@dataclass
class Services:
    """The collaborators resources need; tests may pass their own."""

    settings: Settings
    database: Database
    odoo: OdooClient
    # Built by build_services, or by create_app when a caller's Services lack it.
    auth: Auth | None = None


class SmnApp(falcon.App):
    """falcon.App declares __slots__; this adds the one attribute SMN hangs on it (for worker_exit)."""

    __slots__ = ("smn_services",)


def build_services(settings: Settings) -> Services:
    if not settings.database_url:
        raise ValueError("SMN_DATABASE_URL must be resolved before the app is created (see smn.stack)")
    if not settings.odoo_url:
        raise ValueError("SMN_ODOO_URL must be resolved before the app is created (see smn.stack)")
    database = Database(settings.database_url, settings.db_pool_max)
    return Services(
        settings=settings,
        database=database,
        odoo=OdooClient.from_settings(settings),
        auth=build_auth(settings, database),
    )


def create_app(settings: Settings, services: Services | None = None) -> falcon.App:
    """Build the Falcon app: middleware in request order, error handlers, routes."""
    services = services or build_services(settings)
    if services.auth is None:
        services.auth = build_auth(services.settings, services.database)
    app = SmnApp(
        middleware=[ContextMiddleware(), AccessLogMiddleware(), AuthMiddleware(services.auth.verifier)],
        cors_enable=False,
    )
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.default_media_type = falcon.MEDIA_JSON
    register_error_handlers(app)
    add_routes(app, services)
    app.smn_services = services
    return app


def add_routes(app: falcon.App, services: Services) -> None:
    settings = services.settings
    app.add_route("/healthz", HealthResource())
    app.add_route("/readyz", ReadinessResource(services.database, services.odoo, settings.readiness_timeout))
    add_partner_api_routes(app, services)
    add_docs_routes(app, services)
    add_auth_routes(app, services.auth)
