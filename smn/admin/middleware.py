"""AdminAuthMiddleware: an admin session (and, on writes, its CSRF token) for everything under /admin.

It acts only on /admin paths; the partner AuthMiddleware skips them because
their resources say `auth = {"public": True}`. Partner bearer tokens are never
looked at here, and the admin cookie is never looked at by partner routes.
"""
from __future__ import annotations

from urllib.parse import quote

import falcon

from smn.admin.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, SessionStore, same_token
from smn.errors import Problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM = "application/x-www-form-urlencoded"


def is_admin_path(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def is_api_path(path: str) -> bool:
    return path.startswith("/admin/api/")


def form_value(req: falcon.Request, name: str) -> str | None:
    """A field of an urlencoded form body (parsed once; the resource gets the same dict)."""
    if (req.content_type or "").split(";")[0].strip().lower() != FORM:
        return None
    value = (req.get_media(default_when_empty={}) or {}).get(name)
    return value if isinstance(value, str) else None


class AdminAuthMiddleware:
    def __init__(self, sessions: SessionStore) -> None:
        self.sessions = sessions

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         params: dict) -> None:
        if resource is None or not is_admin_path(req.path):
            return
        session = self.sessions.lookup(req.get_cookie_values(COOKIE)[0] if req.get_cookie_values(COOKIE) else None)
        req.context.admin = session
        if getattr(resource, "admin_public", False):
            return
        if session is None:
            if is_api_path(req.path):
                raise Problem(401, "Log in first: POST /admin/api/session, then send its cookie "
                                   f"and the {CSRF_HEADER} header.", slug="admin-login-required")
            target = req.relative_uri if req.method in SAFE_METHODS else "/admin"
            raise falcon.HTTPSeeOther("/admin/login?next=" + quote(target, safe="/"))
        if req.method not in SAFE_METHODS:
            given = req.get_header(CSRF_HEADER) or form_value(req, CSRF_FIELD)
            if not same_token(given, session.csrf_token):
                raise Problem(403, f"Missing or wrong CSRF token: send the session's token in {CSRF_HEADER} "
                                   f"(or the {CSRF_FIELD} form field).", slug="csrf-failed")
