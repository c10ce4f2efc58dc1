"""Everything an admin can do, audited: the pages and the JSON API both call this.

Each method takes the acting admin's username first and writes one audit row
(never a secret) after the action succeeded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from smn.admin.audit import AuditLog
from smn.admin.ops import NotFound
from smn.auth.clients import ClientInfo, NewClient
from smn.auth.keys import KeyInfo
from smn.auth.revocations import IssuedToken
from smn.auth.scopes import InvalidScope
from smn.auth.service import AuthService
from smn.builder.definitions import Definition, DefinitionError, Draft, build
from smn.builder.registry import EndpointRegistry
from smn.builder.store import DefinitionStore
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooError, OdooUnavailable

ODOO_TIMEOUT = 5.0
CLIENT_ACTIONS = ("disable", "enable", "revoke-all", "rotate-secret")
ENDPOINT_ACTIONS = ("disable", "enable")


@dataclass(frozen=True)
class ClientLimits:
    callback_url: str | None
    rate_per_second: float | None
    burst: int | None


class AdminService:
    def __init__(self, auth: AuthService, audit: AuditLog, store: DefinitionStore, registry: EndpointRegistry,
                 odoo: OdooClient) -> None:
        self.auth = auth
        self.audit = audit
        self.store = store
        self.registry = registry
        self.odoo = odoo

    # -- clients -------------------------------------------------------------------

    def create_client(self, actor: str, name: str, scopes: str, contact: str | None, limits: ClientLimits
                      ) -> NewClient:
        created = self.auth.create_client(name, scopes, contact=contact, callback_url=limits.callback_url,
                                          rate_per_second=limits.rate_per_second, burst=limits.burst)
        self.audit.record(actor, "client.create", created.info.client_id, name=name,
                          scopes=sorted(created.info.scopes))
        return created

    def update_client(self, actor: str, client_id: str, scopes: str | None, limits: Mapping[str, Any] | None
                      ) -> ClientInfo:
        """`limits`: the members of LIMIT_COLUMNS to change (None clears one); the others keep their value."""
        try:
            info = self.auth.clients.set_limits(client_id, limits or {}, scopes)
        except InvalidScope:
            self.auth.get_client(client_id)  # an unknown client answers 404 before a bad scope answers 422
            raise
        changes: dict[str, Any] = {}
        if scopes is not None:
            changes["scopes"] = sorted(info.scopes)
        if limits:
            changes.update(callback_url=info.callback_url, rate_per_second=info.record.rate_per_second,
                           burst=info.record.burst)
        self.audit.record(actor, "client.update", info.client_id, **changes)
        return info

    def client_action(self, actor: str, client_id: str, action: str) -> tuple[ClientInfo, str | None]:
        """disable, enable, revoke-all or rotate-secret; the new secret (rotate only) is returned once.

        NotFound for any other action.
        """
        if action not in CLIENT_ACTIONS:
            raise NotFound(f"unknown action {action!r}; one of {', '.join(CLIENT_ACTIONS)}")
        secret = None
        if action == "disable":
            info = self.auth.disable_client(client_id)
        elif action == "enable":
            info = self.auth.enable_client(client_id)
        elif action == "revoke-all":
            info = self.auth.revoke_all(client_id)
        else:
            rotated = self.auth.rotate_secret(client_id)
            info, secret = rotated.info, rotated.secret
        self.audit.record(actor, f"client.{action}", info.client_id)
        return info, secret

    # -- tokens and keys ---------------------------------------------------------------

    def tokens(self, client_id: str | None = None, limit: int = 100) -> list[IssuedToken]:
        return self.auth.list_tokens(client_id, limit=limit)

    def revoke_token(self, actor: str, jti: str) -> str:
        outcome = self.auth.revoke_token(jti, "revoked in the admin UI", f"admin:{actor}")
        self.audit.record(actor, "token.revoke", jti, outcome=outcome)
        return outcome

    def rotate_key(self, actor: str) -> KeyInfo:
        key = self.auth.rotate_key()
        self.audit.record(actor, "key.rotate", key.kid, algorithm=key.algorithm)
        return key

    # -- the endpoint builder ----------------------------------------------------------

    def models(self) -> list[dict[str, str]]:
        rows = self.odoo.execute_kw("ir.model", "search_read", [[["transient", "=", False]]],
                                    {"fields": ["model", "name"], "order": "model"}, timeout=ODOO_TIMEOUT)
        return [{"model": row["model"], "name": row["name"]} for row in rows]

    def model_fields(self, model: str) -> dict[str, dict[str, Any]]:
        return self.odoo.execute_kw(model, "fields_get", [], {
            "attributes": ["string", "type", "relation", "selection", "readonly", "required"]},
            timeout=ODOO_TIMEOUT)

    def check(self, draft: Draft) -> Definition:
        """Build the definition and run its domain once in Odoo (search_count); raises DefinitionError."""
        try:
            model_fields = self.model_fields(draft.model)
        except OdooUnavailable:
            raise
        except OdooError as exc:
            raise DefinitionError([{"field": "model", "message": f"Odoo has no usable model {draft.model!r} "
                                                                 f"({exc.message[:200]})."}]) from None
        definition = build(draft, model_fields)
        try:
            self.odoo.execute_kw(definition.model, "search_count", [list(definition.domain)], timeout=ODOO_TIMEOUT)
        except OdooUnavailable:
            raise
        except OdooError as exc:
            raise DefinitionError([{"field": "domain", "message": f"Odoo rejected the domain: {exc.message[:300]}"}]
                                  ) from None
        return definition

    def preview(self, draft: Draft, size: int = 3) -> dict[str, Any]:
        """What GET /v1/x/{slug} would answer now, for the first `size` records."""
        definition = self.check(draft)
        rows = self.odoo.execute_kw(definition.model, "search_read", [list(definition.domain)], {
            "fields": definition.odoo_fields, "limit": size, "order": definition.order}, timeout=ODOO_TIMEOUT)
        total = self.odoo.execute_kw(definition.model, "search_count", [list(definition.domain)],
                                     timeout=ODOO_TIMEOUT)
        return {"items": [definition.record(row) for row in rows], "total": total, "limit": size, "offset": 0,
                "next": f"/v1/x/{definition.slug}?limit={size}&offset={size}" if total > size else None}

    def save_endpoint(self, actor: str, draft: Draft) -> Definition:
        definition = self.store.save(self.check(draft), actor)
        self.registry.reload()
        self.audit.record(actor, "endpoint.save", definition.slug, version=definition.version,
                          model=definition.model, scope=definition.scope, operations=list(definition.operations))
        return definition

    def endpoint_action(self, actor: str, slug: str, action: str) -> Definition:
        """disable or enable; NotFound for any other action."""
        if action not in ENDPOINT_ACTIONS:
            raise NotFound(f"unknown action {action!r}; one of {', '.join(ENDPOINT_ACTIONS)}")
        definition = self.store.set_enabled(slug, action == "enable", actor)
        self.registry.reload()
        self.audit.record(actor, f"endpoint.{action}", slug, version=definition.version)
        return definition

    def rollback_endpoint(self, actor: str, slug: str, version: int) -> Definition:
        definition = self.store.rollback(slug, version, actor)
        self.registry.reload()
        self.audit.record(actor, "endpoint.rollback", slug, to_version=version, version=definition.version)
        return definition
