"""The admin audit log: who did what, to what, when, under which request id."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2.extras import Json

from smn.context import current_request_id
from smn.db import Database

log = logging.getLogger("smn.admin.audit")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    request_id: str | None


class AuditLog:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, actor: str, action: str, target: str | None = None, **details: Any) -> None:
        """Never pass a secret in `details`: this table is shown in the UI."""
        request_id = current_request_id()
        self.database.execute(
            "INSERT INTO admin_audit (actor, action, target, details, request_id) VALUES (%s, %s, %s, %s, %s)",
            (actor, action, target, Json(details), request_id))
        log.info("admin action", extra={"actor": actor, "action": action, "target": target})

    def list(self, limit: int = 100, actor: str | None = None, action: str | None = None) -> list[AuditEntry]:
        conditions, params = ["true"], []
        if actor:
            conditions.append("actor = %s")
            params.append(actor)
        if action:
            conditions.append("action = %s")
            params.append(action)
        rows = self.database.fetch_all(
            f"""SELECT id, at, actor, action, target, details, request_id FROM admin_audit
                WHERE {' AND '.join(conditions)} ORDER BY id DESC LIMIT %s""", (*params, limit))
        return [AuditEntry(*row) for row in rows]
