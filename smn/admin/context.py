"""What every admin resource gets: the services, the session machinery and the renderer."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import falcon

from smn.admin.audit import AuditLog
from smn.admin.ops import OpsView
from smn.admin.service import AdminService
from smn.admin.sessions import SessionStore
from smn.auth.throttle import FailureThrottle
from smn.admin.users import AdminUserStore
from smn.admin.web import Renderer, admin_problem
from smn.settings import Settings


@dataclass
class AdminContext:
    settings: Settings
    service: AdminService
    ops: OpsView
    audit: AuditLog
    users: AdminUserStore
    sessions: SessionStore
    throttle: FailureThrottle
    renderer: Renderer


def actor(req: falcon.Request) -> str:
    """The logged-in admin's username (the middleware guarantees a session here)."""
    return req.context.admin.username


@contextmanager
def expected_failures() -> Iterator[None]:
    """Turn the failures an admin can cause (unknown ids, bad scopes, invalid definitions) into problems."""
    try:
        yield
    except Exception as exc:
        problem = admin_problem(exc)
        if problem is None:
            raise
        raise problem from None


class AdminResource:
    """Not a partner route: the partner AuthMiddleware skips it; AdminAuthMiddleware guards it."""

    auth = {"public": True}

    def __init__(self, admin: AdminContext) -> None:
        self.admin = admin


class AdminPage(AdminResource):
    def openapi_paths(self, spec: Any, route: Any) -> None:
        """Listed under "Admin UI" as HTML pages (the JSON API, tag "Admin", is what automation uses)."""
        from smn.openapi import _path_parameters, openapi_path, own_responders

        html = {"text/html": {"schema": {"type": "string"}}}
        operations = {
            method.lower(): {"summary": f"Admin page: {method} {route.uri_template}", "tags": ["Admin UI"],
                             "security": [], "responses": {"200": {"description": "An HTML page.", "content": html},
                                                           "303": {"description": "Redirect (login, after a form)."}}}
            for method, _ in own_responders(route)}
        spec.path(path=openapi_path(route.uri_template), operations=operations,
                  parameters=_path_parameters(route.uri_template) or None)
