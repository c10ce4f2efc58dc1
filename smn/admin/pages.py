"""The admin pages: server-rendered HTML, plain forms (each with the session's CSRF token), 303 after POST."""
from __future__ import annotations

import hashlib
import secrets
from importlib import resources
from typing import Any
from urllib.parse import quote

import falcon

from smn.admin.api import limit_changes, limits, login, logout
from smn.admin.context import AdminPage, actor, expected_failures
from smn.admin.sessions import LOGIN_CSRF_COOKIE, same_token
from smn.admin.views import client_dict
from smn.admin.web import (
    ClientCreateSchema,
    ClientUpdateSchema,
    clean_form,
    draft_from_form,
    is_secure,
    secure_headers,
    set_session_cookie,
)
from smn.builder.definitions import OPERATIONS, SUPPORTED_TYPES, Definition, DefinitionError, Draft
from smn.errors import Problem
from smn.odoo.errors import OdooError
from smn.representation import not_modified
from smn.resources.partner_base import load
from smn.schemas.jobs import JOB_STATUSES

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def form(req: falcon.Request) -> dict[str, Any]:
    media = req.get_media(default_when_empty={})
    return media if isinstance(media, dict) else {}


def redirect(location: str, done: str | None = None) -> falcon.HTTPSeeOther:
    if done:
        location += ("&" if "?" in location else "?") + "done=" + quote(done)
    return falcon.HTTPSeeOther(location)


def problem_errors(problem: falcon.HTTPError) -> list[dict[str, str]]:
    errors = getattr(problem, "errors", None)
    return list(errors) if errors else [{"field": "", "message": problem.description or problem.title}]


def safe_next(target: str | None) -> str:
    """Only a path inside the admin UI: never an open redirect."""
    if target and target.startswith("/admin") and not target.startswith("//") and "\\" not in target:
        return target
    return "/admin"


class LoginPage(AdminPage):
    admin_public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.context.get("admin") is not None:
            raise redirect(safe_next(req.get_param("next")))
        self._render(req, resp, [])

    def _render(self, req: falcon.Request, resp: falcon.Response, errors: list, status: int = 200) -> None:
        """The login form carries a fresh token that must match a cookie (double submit: no login CSRF)."""
        token = secrets.token_urlsafe(24)
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/admin/login", http_only=True,
                        same_site="Strict", secure=is_secure(req, self.admin.settings))
        self.admin.renderer.page(req, resp, "login.html", status, login_token=token, errors=errors,
                                 next=safe_next(req.get_param("next")))

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = form(req)
        cookie = req.get_cookie_values(LOGIN_CSRF_COOKIE)
        if not cookie or not same_token(data.get("login_token"), cookie[0]):
            raise Problem(403, "The login form expired or did not come from this site; reload it.",
                          slug="csrf-failed")
        try:
            token, _ = login(self.admin, req, str(data.get("username") or ""), str(data.get("password") or ""))
        except Problem as problem:
            if problem.status_code == 429:
                resp.set_header("Retry-After", problem.headers.get("Retry-After", "60"))
            self._render(req, resp, [{"field": "", "message": problem.description}], problem.status_code)
            return
        set_session_cookie(req, resp, self.admin.settings, token)
        resp.set_cookie(LOGIN_CSRF_COOKIE, "", max_age=0, path="/admin/login", http_only=True, same_site="Strict",
                        secure=is_secure(req, self.admin.settings))
        raise redirect(safe_next(data.get("next")))


class LogoutPage(AdminPage):
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        logout(self.admin, req, resp)
        raise redirect("/admin/login")


class OverviewPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admin.renderer.page(req, resp, "overview.html", overview=self.admin.ops.overview(),
                                 endpoints=len(self.admin.service.registry.all()),
                                 clients=len(self.admin.service.auth.list_clients()))


class ClientsPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._render(req, resp, {}, [])

    def _render(self, req, resp, values: dict, errors: list, status: int = 200) -> None:
        clients = [client_dict(info) for info in self.admin.service.auth.list_clients()]
        self.admin.renderer.page(req, resp, "clients.html", status, clients=clients, values=values, errors=errors)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        values = clean_form(form(req))
        try:
            data = load(ClientCreateSchema(), values)
            with expected_failures():
                created = self.admin.service.create_client(actor(req), data["name"], data["scopes"], data["contact"],
                                                           limits(data))
        except Problem as problem:
            self._render(req, resp, values, problem_errors(problem), 422)
            return
        self.admin.renderer.page(req, resp, "secret.html", client=client_dict(created.info), secret=created.secret,
                                 created=True)


class ClientPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response, client_id: str) -> None:
        self._render(req, resp, client_id, [])

    def _render(self, req, resp, client_id: str, errors: list, status: int = 200) -> None:
        with expected_failures():
            info = self.admin.service.auth.get_client(client_id)
            tokens = self.admin.service.tokens(info.client_id, limit=20)
        self.admin.renderer.page(req, resp, "client.html", status, client=client_dict(info), tokens=tokens,
                                 errors=errors)

    def on_post(self, req: falcon.Request, resp: falcon.Response, client_id: str) -> None:
        values = clean_form(form(req))
        try:
            data = load(ClientUpdateSchema(), {key: values.get(key) for key in
                                               ("scopes", "callback_url", "rate_per_second", "burst")})
            data["scopes"] = data.get("scopes") or ""
            with expected_failures():
                self.admin.service.update_client(actor(req), client_id, data["scopes"],
                                                 limit_changes(data))
        except Problem as problem:
            if problem.status_code == 404:
                raise
            self._render(req, resp, client_id, problem_errors(problem), 422)
            return
        raise redirect(f"/admin/clients/{quote(client_id)}", "client.update")

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, client_id: str, action: str) -> None:
        with expected_failures():
            info, secret = self.admin.service.client_action(actor(req), client_id, action)
        if secret is not None:
            self.admin.renderer.page(req, resp, "secret.html", client=client_dict(info), secret=secret, created=False)
            return
        raise redirect(f"/admin/clients/{quote(info.client_id)}", f"client.{action}")


class TokensPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        client_id = req.get_param("client_id") or ""
        with expected_failures():
            tokens = self.admin.service.tokens(client_id or None)
        clients = self.admin.service.auth.list_clients()
        self.admin.renderer.page(req, resp, "tokens.html", tokens=tokens, clients=clients, client_id=client_id,
                                 names={c.client_id: c.name for c in clients})

    def on_post_revoke(self, req: falcon.Request, resp: falcon.Response, jti: str) -> None:
        outcome = self.admin.service.revoke_token(actor(req), jti)
        if outcome == "unknown":
            raise Problem(404, "No token was issued with this jti.", slug="not-found")
        back = safe_next(form(req).get("back"))
        raise redirect(back, "token.revoke")


class KeysPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admin.renderer.page(req, resp, "keys.html", keys=self.admin.service.auth.list_keys())

    def on_post_rotate(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admin.service.rotate_key(actor(req))
        raise redirect("/admin/keys", "key.rotate")


class JobsPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        status = req.get_param("status") or ""
        ops = self.admin.ops
        self.admin.renderer.page(req, resp, "jobs.html", jobs=ops.jobs(status or None), counts=ops.job_counts(),
                                 current=status, statuses=JOB_STATUSES)

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, job_id: str) -> None:
        with expected_failures():
            job = self.admin.ops.job(job_id)
        self.admin.renderer.page(req, resp, "job.html", job=job)

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, job_id: str, action: str) -> None:
        with expected_failures():
            self.admin.ops.job_action(actor(req), job_id, action)
        raise redirect(f"/admin/jobs/{job_id}", f"job.{action}")


class AlertsPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admin.renderer.page(req, resp, "alerts.html", alerts=self.admin.ops.alerts())

    def on_post_acknowledge(self, req: falcon.Request, resp: falcon.Response, alert_id: int) -> None:
        with expected_failures():
            self.admin.ops.acknowledge(actor(req), alert_id)
        raise redirect("/admin/alerts", "alert.acknowledge")


class EndpointsPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.admin.renderer.page(req, resp, "endpoints.html", endpoints=self.admin.service.store.list())

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        with expected_failures():
            summary = self.admin.service.store.get(slug)
        self.admin.renderer.page(req, resp, "endpoint.html", summary=summary, d=summary.definition,
                                 versions=self.admin.service.store.versions(slug))

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, slug: str, action: str) -> None:
        with expected_failures():
            self.admin.service.endpoint_action(actor(req), slug, action)
        raise redirect(f"/admin/endpoints/{slug}", f"endpoint.{action}")

    def on_post_rollback(self, req: falcon.Request, resp: falcon.Response, slug: str, version: int) -> None:
        with expected_failures():
            self.admin.service.rollback_endpoint(actor(req), slug, version)
        raise redirect(f"/admin/endpoints/{slug}", "endpoint.rollback")


class EndpointEditor(AdminPage):
    """The builder: pick a model, tick fields, name them, set the rules, preview, save."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        slug = req.get_param("edit")
        draft = Draft(model=req.get_param("model") or "")
        if slug:
            with expected_failures():
                draft = _draft_of(self.admin.service.store.get(slug).definition)
        self._render(req, resp, draft)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        data = form(req)
        intent = data.get("intent") or "save"
        try:
            draft = draft_from_form(data)
        except DefinitionError as exc:
            self._render(req, resp, Draft(model=str(data.get("model") or "")), errors=exc.errors, status=422)
            return
        if intent == "model":
            self._render(req, resp, Draft(model=draft.model, slug=draft.slug, scope=draft.scope))
            return
        try:
            if intent == "preview":
                sample = self.admin.service.preview(draft)
                self._render(req, resp, draft, preview=sample)
                return
            saved = self.admin.service.save_endpoint(actor(req), draft)
        except DefinitionError as exc:
            self._render(req, resp, draft, errors=exc.errors, status=422)
            return
        raise redirect(f"/admin/endpoints/{saved.slug}", "endpoint.save")

    def _render(self, req, resp, draft: Draft, errors: list | None = None, preview: Any = None,
                status: int = 200) -> None:
        service = self.admin.service
        models, model_fields, odoo_error = [], {}, None
        try:
            models = service.models()
            if draft.model:
                model_fields = service.model_fields(draft.model)
        except OdooError as exc:
            odoo_error = exc.message[:300]
        chosen = {item["odoo"]: item.get("name") or item["odoo"] for item in draft.fields}
        rows = [{"odoo": name, "string": info.get("string") or name, "type": info.get("type"),
                 "readonly": bool(info.get("readonly")), "checked": name in chosen,
                 "name": chosen.get(name, name if name != "id" else "")}
                for name, info in sorted(model_fields.items())
                if info.get("type") in SUPPORTED_TYPES and name != "id"]
        rows.sort(key=lambda row: not row["checked"])  # the chosen fields first, then the rest by name
        self.admin.renderer.page(req, resp, "builder.html", status, draft=draft, models=models, rows=rows,
                                 operations=OPERATIONS, errors=errors or [], preview=preview, odoo_error=odoo_error)


def _draft_of(definition: Definition) -> Draft:
    import json

    return Draft(slug=definition.slug, model=definition.model,
                 fields=[{"odoo": spec.odoo, "name": spec.name} for spec in definition.fields],
                 domain=json.dumps(list(definition.domain)), order=definition.order,
                 max_page_size=definition.max_page_size, operations=list(definition.operations),
                 scope=definition.scope, cache_ttl=definition.cache_ttl, description=definition.description)


class AuditPage(AdminPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        entries = self.admin.audit.list(200, req.get_param("actor"), req.get_param("action"))
        self.admin.renderer.page(req, resp, "audit.html", entries=entries)


class StaticFile(AdminPage):
    """/admin/static/admin.css and admin.js: the UI's own small files, public (the login page needs them)."""

    admin_public = True

    def __init__(self, admin) -> None:
        super().__init__(admin)
        folder = resources.files("smn.admin").joinpath("static")
        self.files = {item.name: item.read_bytes() for item in folder.iterdir() if item.name.endswith(tuple(STATIC_TYPES))}
        self.etags = {name: hashlib.sha256(data).hexdigest()[:16] for name, data in self.files.items()}

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        data = self.files.get(name)
        if data is None:
            raise Problem(404, "No such file.", slug="not-found")
        resp.etag = self.etags[name]
        secure_headers(resp)
        resp.cache_control = ["public", "max-age=300"]
        if not_modified(req, self.etags[name]):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = STATIC_TYPES["." + name.rsplit(".", 1)[-1]]
        resp.data = data
