"""/admin/api: everything the admin pages do, as JSON, for automation.

Log in with POST /admin/api/session; send the returned cookie on every call
and, on every write, the returned csrf_token in X-CSRF-Token.
"""
from __future__ import annotations

import falcon

from smn.admin.context import AdminResource, actor, expected_failures
from smn.admin.ops import job_dict
from smn.admin.service import ClientLimits
from smn.auth.clients import LIMIT_COLUMNS
from smn.admin.views import (
    audit_dict,
    client_dict,
    definition_dict,
    key_dict,
    summary_dict,
    token_dict,
    version_dict,
)
from smn.admin.web import (
    ClientCreateSchema,
    ClientUpdateSchema,
    LoginSchema,
    clear_session_cookie,
    draft_from_json,
    set_session_cookie,
)
from smn.errors import Problem
from smn.resources.partner_base import load, read_json, require_object, send_json


def body(req: falcon.Request, resource: AdminResource) -> object:
    return read_json(req, resource.admin.settings.max_body_bytes)


def limits(data: dict) -> ClientLimits:
    return ClientLimits(data.get("callback_url"), data.get("rate_per_second"), data.get("burst"))


def limit_changes(data: dict) -> dict | None:
    """The limit members `data` sends (null clears one), for ClientStore.set_limits; None when it sends none."""
    return {key: data[key] for key in LIMIT_COLUMNS if key in data} or None


class SessionApi(AdminResource):
    admin_public = True

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Log in.
        ---
        summary: Log in as an admin
        description: Sets the HttpOnly admin session cookie; send csrf_token back in X-CSRF-Token on writes.
        tags: [Admin]
        security: []
        requestBody: {required: true, content: {application/json: {schema: {type: object, required: [username, password], properties: {username: {type: string}, password: {type: string}}}}}}
        responses:
          200: {description: "Logged in: {username, csrf_token}."}
          401: {description: "Wrong username or password."}
          429: {description: "Too many failed logins; retry after Retry-After seconds."}
        """
        data = load(LoginSchema(), require_object(body(req, self)))
        token, csrf = login(self.admin, req, data["username"], data["password"])
        set_session_cookie(req, resp, self.admin.settings, token)
        send_json(resp, {"username": data["username"], "csrf_token": csrf})

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Who is logged in.
        ---
        summary: The current admin session
        tags: [Admin]
        security: []
        responses:
          200: {description: "{username, csrf_token}."}
          401: {description: "No session."}
        """
        session = req.context.get("admin")
        if session is None:
            raise Problem(401, "No admin session.", slug="admin-login-required")
        send_json(resp, {"username": session.username, "csrf_token": session.csrf_token})

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Log out.
        ---
        summary: Log out
        tags: [Admin]
        security: []
        responses:
          204: {description: "The session is over."}
        """
        session = req.context.get("admin")
        if session is None:
            raise Problem(401, "No admin session.", slug="admin-login-required")
        logout(self.admin, req, resp)
        resp.status = falcon.HTTP_204


def login(admin, req: falcon.Request, username: str, password: str) -> tuple[str, str]:
    """Check the password under the failure throttle; (cookie token, csrf token) or a 401/429 problem."""
    wait = admin.throttle.retry_after(username, req.remote_addr)
    if wait is not None:
        admin.audit.record(username[:64], "login.throttled")
        raise Problem(429, f"Too many failed logins; retry in {wait} s.", slug="too-many-logins",
                      headers={"Retry-After": str(wait)})
    user = admin.users.authenticate(username, password)
    if user is None:
        admin.throttle.record(username, req.remote_addr)
        admin.audit.record(username[:64], "login.failed", remote_addr=req.remote_addr)
        raise Problem(401, "Wrong username or password.", slug="admin-login-failed")
    admin.audit.record(user.username, "login", remote_addr=req.remote_addr)
    return admin.sessions.create(user.id, req.remote_addr)


def logout(admin, req: falcon.Request, resp: falcon.Response) -> None:
    from smn.admin.sessions import COOKIE

    values = req.get_cookie_values(COOKIE)
    admin.sessions.delete(values[0] if values else None)
    clear_session_cookie(req, resp, admin.settings)
    admin.audit.record(actor(req), "logout")


class OverviewApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Overview.
        ---
        summary: Odoo and circuit state, traffic, outbox backlog, latest alerts
        tags: [Admin]
        security: []
        responses: {200: {description: "The overview."}, 401: {description: "No admin session."}}
        """
        send_json(resp, self.admin.ops.overview())


class ClientsApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List API clients.
        ---
        summary: List API clients
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [client]}"}, 401: {description: "No admin session."}}
        """
        send_json(resp, {"items": [client_dict(info) for info in self.admin.service.auth.list_clients()]})

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an API client.
        ---
        summary: Create an API client (its secret is in this response only)
        tags: [Admin]
        security: []
        responses: {201: {description: "{client, client_secret}"}, 422: {description: "Invalid fields."}}
        """
        data = load(ClientCreateSchema(), require_object(body(req, self)))
        with expected_failures():
            created = self.admin.service.create_client(actor(req), data["name"], data["scopes"], data["contact"],
                                                       limits(data))
        send_json(resp, {"client": client_dict(created.info), "client_secret": created.secret}, 201)
        resp.cache_control = ["no-store"]

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, client_id: str) -> None:
        """Read an API client.
        ---
        summary: Read an API client
        tags: [Admin]
        security: []
        responses: {200: {description: "The client."}, 404: {description: "No such client."}}
        """
        with expected_failures():
            send_json(resp, client_dict(self.admin.service.auth.get_client(client_id)))

    def on_patch_item(self, req: falcon.Request, resp: falcon.Response, client_id: str) -> None:
        """Edit an API client.
        ---
        summary: Edit scopes, rate limit and callback URL
        description: >
          Send scopes and/or any of callback_url, rate_per_second and burst
          (null clears one; those left out keep their value).
        tags: [Admin]
        security: []
        responses: {200: {description: "The client."}, 404: {description: "No such client."}, 422: {description: "Invalid fields."}}
        """
        data = load(ClientUpdateSchema(), require_object(body(req, self)))
        with expected_failures():
            info = self.admin.service.update_client(actor(req), client_id, data.get("scopes"),
                                                    limit_changes(data))
        send_json(resp, client_dict(info))

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, client_id: str, action: str) -> None:
        """Act on an API client.
        ---
        summary: disable, enable, revoke-all or rotate-secret
        description: rotate-secret answers the new secret, this once.
        tags: [Admin]
        security: []
        responses: {200: {description: "{client, client_secret?}"}, 404: {description: "No such client or action."}}
        """
        with expected_failures():
            info, secret = self.admin.service.client_action(actor(req), client_id, action)
        document = {"client": client_dict(info)}
        if secret is not None:
            document["client_secret"] = secret
            resp.cache_control = ["no-store"]
        send_json(resp, document)


class TokensApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Issued tokens.
        ---
        summary: Recently issued tokens (jti, issued, expires, status), optionally ?client_id=
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [token]}"}}
        """
        client_id = req.get_param("client_id")
        with expected_failures():
            tokens = self.admin.service.tokens(client_id or None)
        send_json(resp, {"items": [token_dict(token) for token in tokens]})

    def on_post_revoke(self, req: falcon.Request, resp: falcon.Response, jti: str) -> None:
        """Revoke a token.
        ---
        summary: Revoke one token by jti
        tags: [Admin]
        security: []
        responses: {200: {description: "{jti, outcome}: revoked or already revoked"}, 404: {description: "Unknown jti."}}
        """
        outcome = self.admin.service.revoke_token(actor(req), jti)
        if outcome == "unknown":
            raise Problem(404, "No token was issued with this jti.", slug="not-found")
        send_json(resp, {"jti": jti, "outcome": outcome})


class KeysApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Signing keys.
        ---
        summary: Signing keys and their status (active, verifying, retired)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [key]}"}}
        """
        send_json(resp, {"items": [key_dict(key) for key in self.admin.service.auth.list_keys()]})

    def on_post_rotate(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Rotate the signing key.
        ---
        summary: Rotate the signing key
        tags: [Admin]
        security: []
        responses: {201: {description: "The new active key."}}
        """
        send_json(resp, key_dict(self.admin.service.rotate_key(actor(req))), 201)


class JobsApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Outbox jobs.
        ---
        summary: Outbox jobs, newest first, optionally ?status=
        tags: [Admin]
        security: []
        responses: {200: {description: "{counts, items: [job]}"}}
        """
        ops = self.admin.ops
        send_json(resp, {"counts": ops.job_counts(),
                         "items": [job_dict(job) for job in ops.jobs(req.get_param("status"))]})

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, job_id: str) -> None:
        """One job.
        ---
        summary: One job with its payload, error and request id
        tags: [Admin]
        security: []
        responses: {200: {description: "The job."}, 404: {description: "No such job."}}
        """
        with expected_failures():
            send_json(resp, job_dict(self.admin.ops.job(job_id)))

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, job_id: str, action: str) -> None:
        """Retry or cancel a job.
        ---
        summary: retry (a failed or cancelled job) or cancel (a queued job)
        tags: [Admin]
        security: []
        responses: {200: {description: "The job."}, 404: {description: "No such job, or not in a state for it."}}
        """
        with expected_failures():
            send_json(resp, job_dict(self.admin.ops.job_action(actor(req), job_id, action)))


class AlertsApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Alerts.
        ---
        summary: Alerts, most recent first (?open=true for unacknowledged only)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [alert]}"}}
        """
        open_only = req.get_param_as_bool("open", default=False)
        send_json(resp, {"items": self.admin.ops.alerts(open_only=open_only)})

    def on_post_acknowledge(self, req: falcon.Request, resp: falcon.Response, alert_id: int) -> None:
        """Acknowledge an alert.
        ---
        summary: Acknowledge an alert
        tags: [Admin]
        security: []
        responses: {204: {description: "Acknowledged."}, 404: {description: "No such open alert."}}
        """
        with expected_failures():
            self.admin.ops.acknowledge(actor(req), alert_id)
        resp.status = falcon.HTTP_204


class OdooModelsApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Odoo models.
        ---
        summary: The live list of Odoo models (ir.model)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [{model, name}]}"}, 503: {description: "Odoo unreachable."}}
        """
        send_json(resp, {"items": self.admin.service.models()})

    def on_get_fields(self, req: falcon.Request, resp: falcon.Response, model: str) -> None:
        """Fields of an Odoo model.
        ---
        summary: The live fields of an Odoo model (fields_get)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [{name, string, type, readonly, required}]}"}}
        """
        with expected_failures():
            found = self.admin.service.model_fields(model)
        items = [{"name": name, "string": info.get("string"), "type": info.get("type"),
                  "relation": info.get("relation"), "readonly": bool(info.get("readonly")),
                  "required": bool(info.get("required"))} for name, info in sorted(found.items())]
        send_json(resp, {"items": items})


class EndpointsApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Built endpoints.
        ---
        summary: Built endpoints (live definitions)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [definition]}"}}
        """
        send_json(resp, {"items": [summary_dict(s) for s in self.admin.service.store.list()]})

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Save a built endpoint.
        ---
        summary: Create or change a built endpoint (checked against Odoo; live on every worker within a second)
        description: >
          Body: slug, model, fields [{odoo, name}], domain, order, max_page_size,
          operations (list, get, create, update), scope, cache_ttl, description.
        tags: [Admin]
        security: []
        responses: {201: {description: "The saved definition."}, 422: {description: "Invalid definition."}}
        """
        with expected_failures():
            definition = self.admin.service.save_endpoint(actor(req), draft_from_json(body(req, self)))
        send_json(resp, definition_dict(definition), 201)

    def on_post_preview(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Preview a built endpoint.
        ---
        summary: A live sample response of a definition, without saving it
        tags: [Admin]
        security: []
        responses: {200: {description: "What GET /v1/x/{slug} would answer."}, 422: {description: "Invalid definition."}}
        """
        with expected_failures():
            send_json(resp, self.admin.service.preview(draft_from_json(body(req, self))))

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        """One built endpoint with its history.
        ---
        summary: One built endpoint and its versions
        tags: [Admin]
        security: []
        responses: {200: {description: "{endpoint, versions}"}, 404: {description: "No such endpoint."}}
        """
        with expected_failures():
            summary = self.admin.service.store.get(slug)
        versions = self.admin.service.store.versions(slug)
        send_json(resp, {"endpoint": summary_dict(summary), "versions": [version_dict(v) for v in versions]})

    def on_post_action(self, req: falcon.Request, resp: falcon.Response, slug: str, action: str) -> None:
        """Disable or enable a built endpoint.
        ---
        summary: disable or enable a built endpoint
        tags: [Admin]
        security: []
        responses: {200: {description: "The definition."}, 404: {description: "No such endpoint."}}
        """
        with expected_failures():
            send_json(resp, definition_dict(self.admin.service.endpoint_action(actor(req), slug, action)))

    def on_post_rollback(self, req: falcon.Request, resp: falcon.Response, slug: str, version: int) -> None:
        """Roll a built endpoint back.
        ---
        summary: Make an earlier version live again (saved as a new version)
        tags: [Admin]
        security: []
        responses: {200: {description: "The definition."}, 404: {description: "No such version."}}
        """
        with expected_failures():
            send_json(resp, definition_dict(self.admin.service.rollback_endpoint(actor(req), slug, version)))


class AuditApi(AdminResource):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Audit log.
        ---
        summary: The admin audit log, newest first (?actor=, ?action=)
        tags: [Admin]
        security: []
        responses: {200: {description: "{items: [entry]}"}}
        """
        entries = self.admin.audit.list(200, req.get_param("actor"), req.get_param("action"))
        send_json(resp, {"items": [audit_dict(entry) for entry in entries]})
