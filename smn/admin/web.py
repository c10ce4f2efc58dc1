"""Rendering and input helpers shared by the admin pages and the admin JSON API."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import falcon
import jinja2
import psycopg2.errors
from marshmallow import Schema, fields, validate

from smn.admin.ops import NotFound
from smn.admin.sessions import COOKIE, CSRF_FIELD
from smn.auth.clients import UnknownClient
from smn.auth.scopes import InvalidScope
from smn.builder.definitions import DefinitionError, Draft
from smn.errors import Problem
from smn.settings import Settings

CSP = "; ".join(["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                 "connect-src 'self'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"])
DONE_MESSAGES = {
    "client.update": "Client saved.", "client.disable": "Client disabled: its tokens are refused now.",
    "client.enable": "Client enabled.", "client.revoke-all": "Every token of the client is revoked.",
    "token.revoke": "Token revoked.", "key.rotate": "New signing key active; the previous one keeps verifying.",
    "job.retry": "Job queued again.", "job.cancel": "Job cancelled.", "alert.acknowledge": "Alert acknowledged.",
    "endpoint.save": "Endpoint saved and live on every worker.", "endpoint.disable": "Endpoint disabled.",
    "endpoint.enable": "Endpoint enabled.", "endpoint.rollback": "Endpoint rolled back (as a new version).",
}


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    seconds = (datetime.now(timezone.utc) - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            text = f"{int(seconds // size)} {unit}"
            break
    else:
        text = f"{int(seconds)} s"
    return f"in {text}" if future else f"{text} ago"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _pretty(value: Any) -> str:
    """JSON as partners receive it: keys in their own order (id first), not sorted like |tojson."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def environment() -> jinja2.Environment:
    """Templates are read once per worker: no stat of each template on every render (deploys restart)."""
    loader = jinja2.FileSystemLoader(str(resources.files("smn.admin").joinpath("templates")))
    env = jinja2.Environment(loader=loader, autoescape=True, auto_reload=False,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["ago"] = _ago
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    return env


class Renderer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env = environment()

    def page(self, req: falcon.Request, resp: falcon.Response, template: str, http_status: int = 200,
             **context: Any) -> None:
        session = req.context.get("admin")
        context.setdefault("done", DONE_MESSAGES.get(req.get_param("done") or ""))
        context.setdefault("errors", [])
        resp.status = http_status
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.env.get_template(template).render(
            admin=session, csrf_token=session.csrf_token if session else "", csrf_field=CSRF_FIELD,
            path=req.path, now=datetime.now(timezone.utc), **context)
        secure_headers(resp)


def secure_headers(resp: falcon.Response) -> None:
    resp.set_header("Content-Security-Policy", CSP)
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("X-Frame-Options", "DENY")
    resp.set_header("Referrer-Policy", "same-origin")
    resp.cache_control = ["no-store"]


def is_secure(req: falcon.Request, settings: Settings) -> bool:
    """HTTPS as the browser sees it: SMN_PUBLIC_URL, or X-Forwarded-Proto from a trusted proxy."""
    if (settings.public_url or "").startswith("https://"):
        return True
    trusted = {item.strip() for item in settings.admin_trusted_proxies.split(",") if item.strip()}
    return req.remote_addr in trusted and (req.get_header("X-Forwarded-Proto") or "").lower() == "https"


def set_session_cookie(req: falcon.Request, resp: falcon.Response, settings: Settings, token: str) -> None:
    resp.set_cookie(COOKIE, token, max_age=settings.admin_session_ttl, path="/admin", http_only=True,
                    same_site="Strict", secure=is_secure(req, settings))


def clear_session_cookie(req: falcon.Request, resp: falcon.Response, settings: Settings) -> None:
    resp.set_cookie(COOKIE, "", max_age=0, path="/admin", http_only=True, same_site="Strict",
                    secure=is_secure(req, settings))


# ---------------------------------------------------------------- input

def _optional(field: fields.Field) -> fields.Field:
    field.allow_none = True
    field.load_default = None
    return field


class ClientCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    scopes = fields.String(load_default="", validate=validate.Length(max=2000))
    contact = _optional(fields.String(validate=validate.Length(max=200)))
    callback_url = _optional(fields.Url(schemes={"http", "https"}, require_tld=False))
    rate_per_second = _optional(fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=100_000)))
    burst = _optional(fields.Integer(validate=validate.Range(1, 1_000_000)))


class ClientUpdateSchema(Schema):
    """Only the members sent are changed; null clears a limit or the callback URL."""

    scopes = fields.String(validate=validate.Length(max=2000))
    callback_url = fields.Url(schemes={"http", "https"}, require_tld=False, allow_none=True)
    rate_per_second = fields.Float(allow_none=True, validate=validate.Range(min=0, min_inclusive=False, max=100_000))
    burst = fields.Integer(allow_none=True, validate=validate.Range(1, 1_000_000))


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 1024))


def clean_form(form: dict[str, Any]) -> dict[str, Any]:
    """Form fields as a schema wants them: no CSRF token, empty strings as absent values."""
    return {key: (None if value == "" else value) for key, value in form.items() if key != CSRF_FIELD}


def admin_problem(exc: Exception) -> Problem | None:
    """The problem an expected admin failure maps to, or None for a bug."""
    if isinstance(exc, NotFound):
        return Problem(404, f"Not found or not applicable: {exc.args[0]}.", slug="not-found")
    if isinstance(exc, UnknownClient):
        return Problem(404, f"No API client {exc.args[0]!r}.", slug="not-found")
    if isinstance(exc, InvalidScope):
        return Problem(422, str(exc), slug="validation-error", errors=[{"field": "scopes", "message": str(exc)}])
    if isinstance(exc, DefinitionError):
        return Problem(422, "The endpoint definition is invalid.", slug="validation-error", errors=exc.errors)
    if isinstance(exc, psycopg2.errors.UniqueViolation):
        return Problem(422, "That name is already used.", slug="validation-error",
                       errors=[{"field": "name", "message": "Already used by another client."}])
    if isinstance(exc, LookupError):
        return Problem(404, "Not found (or not in a state this action applies to).", slug="not-found")
    return None


def draft_from_json(data: Any) -> Draft:
    if not isinstance(data, dict):
        raise DefinitionError([{"field": "body", "message": "Must be a JSON object."}])
    known = set(Draft.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise DefinitionError([{"field": name, "message": "Unknown field."} for name in unknown])
    return Draft(**data)


def draft_from_form(form: dict[str, Any]) -> Draft:
    """The builder page's form: `field` checkboxes (Odoo names) and a `name:<odoo>` input for each."""
    chosen = form.get("field") or []
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    fields_ = [{"odoo": odoo, "name": (form.get(f"name:{odoo}") or odoo).strip()} for odoo in chosen]
    operations = form.get("operations") or []
    operations = [operations] if isinstance(operations, str) else list(operations)
    raw_domain = (form.get("domain") or "[]").strip() or "[]"
    try:
        domain = json.loads(raw_domain)
    except ValueError:
        raise DefinitionError([{"field": "domain", "message": "Not valid JSON; e.g. [[\"is_company\", \"=\", true]]."}]
                              ) from None
    return Draft(slug=(form.get("slug") or "").strip(), model=(form.get("model") or "").strip(), fields=fields_,
                 domain=domain, order=(form.get("order") or "id").strip(), max_page_size=form.get("max_page_size") or 100,
                 operations=operations, scope=(form.get("scope") or "").strip(), cache_ttl=form.get("cache_ttl") or 0,
                 description=form.get("description") or "")
