"""Wiring of the admin UI, its JSON API and the endpoint builder (called by smn.app)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import falcon

from smn.admin import api, pages
from smn.admin.audit import AuditLog
from smn.admin.context import AdminContext
from smn.admin.middleware import AdminAuthMiddleware
from smn.admin.ops import OpsView
from smn.admin.service import AdminService
from smn.admin.sessions import SessionStore, login_throttle
from smn.admin.users import AdminUserStore
from smn.admin.web import Renderer
from smn.builder.registry import EndpointRegistry
from smn.builder.resource import PREFIX, BuiltEndpointResource
from smn.builder.store import DefinitionStore
from smn.db import Database
from smn.idempotency import IdempotencyStore
from smn.openapi import invalidate_spec
from smn.resources.partner_api import RECORD_ID
from smn.resources.partner_base import PartnerApiContext, Writer
from smn.settings import Settings

if TYPE_CHECKING:
    from smn.app import Services


@dataclass
class AdminParts:
    """What create_app needs before routes exist: the middleware and the builder's registry."""

    context: AdminContext
    middleware: AdminAuthMiddleware
    registry: EndpointRegistry


def build_admin(settings: Settings, services: "Services") -> AdminParts:
    database: Database = services.database
    audit = AuditLog(database)
    sessions = SessionStore(database, settings.admin_session_ttl)
    store = DefinitionStore(database)
    registry = EndpointRegistry(store, settings.builder_resync_interval)
    service = AdminService(services.auth.service, audit, store, registry, services.odoo)
    context = AdminContext(
        settings=settings, service=service, ops=OpsView(database, services.odoo, audit,
                                                                  getattr(services.alerts, "error_window", None)), audit=audit,
        users=AdminUserStore(database), sessions=sessions,
        throttle=login_throttle(database, settings.admin_login_failure_limit, settings.admin_login_failure_window),
        renderer=Renderer(settings))
    return AdminParts(context, AdminAuthMiddleware(sessions), registry)


def add_builder_routes(app: falcon.App, parts: AdminParts, services: "Services") -> None:
    """The catch-all routes of built endpoints; a definition change rebuilds /openapi.json."""
    settings = services.settings
    store = IdempotencyStore(services.database, ttl=settings.idempotency_ttl, wait=settings.idempotency_wait,
                             lease=settings.idempotency_lease)
    api_context = PartnerApiContext(settings, Writer(store), services.reads)
    parts.registry.on_change = lambda: invalidate_spec(app)
    resource = BuiltEndpointResource(parts.registry, services.odoo, api_context)
    app.add_route(PREFIX + "/{slug}", resource)
    app.add_route(PREFIX + f"/{{slug}}/{{record_id:{RECORD_ID}}}", resource, suffix="item")


def add_admin_routes(app: falcon.App, parts: AdminParts) -> None:
    admin = parts.context
    login_page = pages.LoginPage(admin)
    app.add_route("/admin/login", login_page)
    app.add_route("/admin/logout", pages.LogoutPage(admin))
    app.add_route("/admin", pages.OverviewPage(admin))
    clients, client = pages.ClientsPage(admin), pages.ClientPage(admin)
    app.add_route("/admin/clients", clients)
    app.add_route("/admin/clients/{client_id}", client)
    app.add_route("/admin/clients/{client_id}/{action}", client, suffix="action")
    tokens = pages.TokensPage(admin)
    app.add_route("/admin/tokens", tokens)
    app.add_route("/admin/tokens/{jti}/revoke", tokens, suffix="revoke")
    keys = pages.KeysPage(admin)
    app.add_route("/admin/keys", keys)
    app.add_route("/admin/keys/rotate", keys, suffix="rotate")
    jobs = pages.JobsPage(admin)
    app.add_route("/admin/jobs", jobs)
    app.add_route("/admin/jobs/{job_id}", jobs, suffix="item")
    app.add_route("/admin/jobs/{job_id}/{action}", jobs, suffix="action")
    alerts = pages.AlertsPage(admin)
    app.add_route("/admin/alerts", alerts)
    app.add_route("/admin/alerts/{alert_id:int}/acknowledge", alerts, suffix="acknowledge")
    endpoints = pages.EndpointsPage(admin)
    app.add_route("/admin/endpoints", endpoints)
    app.add_route("/admin/endpoints/new", pages.EndpointEditor(admin))
    app.add_route("/admin/endpoints/{slug}", endpoints, suffix="item")
    app.add_route("/admin/endpoints/{slug}/rollback/{version:int}", endpoints, suffix="rollback")
    app.add_route("/admin/endpoints/{slug}/{action}", endpoints, suffix="action")
    app.add_route("/admin/audit", pages.AuditPage(admin))
    app.add_route("/admin/static/{name}", pages.StaticFile(admin))
    _add_api_routes(app, admin)


def _add_api_routes(app: falcon.App, admin: AdminContext) -> None:
    base = "/admin/api"
    app.add_route(f"{base}/session", api.SessionApi(admin))
    app.add_route(f"{base}/overview", api.OverviewApi(admin))
    clients = api.ClientsApi(admin)
    app.add_route(f"{base}/clients", clients)
    app.add_route(f"{base}/clients/{{client_id}}", clients, suffix="item")
    app.add_route(f"{base}/clients/{{client_id}}/{{action}}", clients, suffix="action")
    tokens = api.TokensApi(admin)
    app.add_route(f"{base}/tokens", tokens)
    app.add_route(f"{base}/tokens/{{jti}}/revoke", tokens, suffix="revoke")
    keys = api.KeysApi(admin)
    app.add_route(f"{base}/keys", keys)
    app.add_route(f"{base}/keys/rotate", keys, suffix="rotate")
    jobs = api.JobsApi(admin)
    app.add_route(f"{base}/jobs", jobs)
    app.add_route(f"{base}/jobs/{{job_id}}", jobs, suffix="item")
    app.add_route(f"{base}/jobs/{{job_id}}/{{action}}", jobs, suffix="action")
    alerts = api.AlertsApi(admin)
    app.add_route(f"{base}/alerts", alerts)
    app.add_route(f"{base}/alerts/{{alert_id:int}}/acknowledge", alerts, suffix="acknowledge")
    models = api.OdooModelsApi(admin)
    app.add_route(f"{base}/odoo/models", models)
    app.add_route(f"{base}/odoo/models/{{model}}/fields", models, suffix="fields")
    endpoints = api.EndpointsApi(admin)
    app.add_route(f"{base}/endpoints", endpoints)
    app.add_route(f"{base}/endpoints/preview", endpoints, suffix="preview")
    app.add_route(f"{base}/endpoints/{{slug}}", endpoints, suffix="item")
    app.add_route(f"{base}/endpoints/{{slug}}/rollback/{{version:int}}", endpoints, suffix="rollback")
    app.add_route(f"{base}/endpoints/{{slug}}/{{action}}", endpoints, suffix="action")
    app.add_route(f"{base}/audit", api.AuditApi(admin))
