"""The JSON shapes of admin objects (the API sends them; the pages read the same objects)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from smn.admin.audit import AuditEntry
from smn.auth.clients import ClientInfo
from smn.auth.keys import KeyInfo
from smn.auth.revocations import IssuedToken
from smn.builder.definitions import Definition
from smn.builder.store import Summary, Version
from smn.timefmt import utc_iso


def client_dict(info: ClientInfo) -> dict[str, Any]:
    record = info.record
    return {"client_id": info.client_id, "name": info.name, "scopes": sorted(info.scopes), "active": info.active,
            "contact": info.contact, "callback_url": info.callback_url, "rate_per_second": record.rate_per_second,
            "burst": record.burst, "created_at": utc_iso(info.created_at), "updated_at": utc_iso(info.updated_at),
            "secret_rotated_at": utc_iso(info.secret_rotated_at)}


def token_dict(token: IssuedToken) -> dict[str, Any]:
    return {"jti": token.jti, "client_id": token.client_id, "kid": token.kid, "scope": token.scope,
            "issued_at": utc_iso(token.issued_at), "expires_at": utc_iso(token.expires_at),
            "request_id": token.request_id, "revoked_at": utc_iso(token.revoked_at),
            "status": token.status(datetime.now(timezone.utc))}


def key_dict(key: KeyInfo) -> dict[str, Any]:
    return {"kid": key.kid, "algorithm": key.algorithm, "status": key.status(datetime.now(timezone.utc)),
            "created_at": utc_iso(key.created_at), "rotated_at": utc_iso(key.rotated_at),
            "retire_after": utc_iso(key.retire_after), "retired_at": utc_iso(key.retired_at)}


def definition_dict(definition: Definition) -> dict[str, Any]:
    return {**definition.to_dict(), "version": definition.version, "enabled": definition.enabled,
            "path": f"/v1/x/{definition.slug}"}


def summary_dict(summary: Summary) -> dict[str, Any]:
    return {**definition_dict(summary.definition), "updated_at": utc_iso(summary.updated_at),
            "updated_by": summary.updated_by}


def version_dict(version: Version) -> dict[str, Any]:
    return {"version": version.version, "enabled": version.enabled, "created_at": utc_iso(version.created_at),
            "created_by": version.created_by, "note": version.note, "definition": version.definition}


def audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": utc_iso(entry.at), "actor": entry.actor, "action": entry.action,
            "target": entry.target, "details": entry.details, "request_id": entry.request_id}
