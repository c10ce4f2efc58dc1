"""Issued and revoked tokens in PostgreSQL (by jti; the tokens themselves are never stored)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smn.db import Database

# Revocations stay in the table this long after their token expired, for audit,
# before the periodic purge removes them; memory forgets them at expiry + leeway.
PURGE_MARGIN_SECONDS = 3600


@dataclass(frozen=True)
class IssuedToken:
    """One row of issued_tokens, joined with its revocation if any."""

    jti: str
    client_id: str
    kid: str
    scope: str
    issued_at: datetime
    expires_at: datetime
    request_id: str | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class RevocationStore:
    """issued_tokens and revoked_tokens. Inserting a revocation NOTIFYs every SMN process."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record_issued(self, jti: str, client_id: str, kid: str, scope: str, issued_at: int, expires_at: int,
                      request_id: str | None) -> None:
        self.database.execute(
            """INSERT INTO issued_tokens (jti, client_id, kid, scope, issued_at, expires_at, request_id)
               VALUES (%s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s), %s)""",
            (jti, client_id, kid, scope, issued_at, expires_at, request_id))

    def revoke(self, jti: str, client_id: str, expires_at: int, reason: str, revoked_by: str) -> bool:
        """Revoke a token whose claims are known; False when it already was."""
        row = self.database.fetch_one(
            """INSERT INTO revoked_tokens (jti, client_id, expires_at, reason, revoked_by)
               VALUES (%s, %s, to_timestamp(%s), %s, %s) ON CONFLICT (jti) DO NOTHING RETURNING jti""",
            (jti, client_id, expires_at, reason, revoked_by))
        return row is not None

    def revoke_jti(self, jti: str, reason: str, revoked_by: str) -> str:
        """Revoke an issued token by jti: 'revoked', 'already revoked' or 'unknown'."""
        with self.database.cursor() as cur:
            cur.execute(
                """INSERT INTO revoked_tokens (jti, client_id, expires_at, reason, revoked_by)
                   SELECT jti, client_id, expires_at, %s, %s FROM issued_tokens WHERE jti = %s
                   ON CONFLICT (jti) DO NOTHING RETURNING jti""", (reason, revoked_by, jti))
            if cur.fetchone() is not None:
                return "revoked"
            cur.execute("SELECT 1 FROM revoked_tokens WHERE jti = %s", (jti,))
            return "already revoked" if cur.fetchone() is not None else "unknown"

    def issued(self, client_id: str | None = None, active_only: bool = False, limit: int = 50) -> list[IssuedToken]:
        """The most recent issued tokens, newest first."""
        conditions, params = ["true"], []
        if client_id is not None:
            conditions.append("i.client_id = %s")
            params.append(client_id)
        if active_only:
            conditions.append("i.expires_at > now() AND r.jti IS NULL")
        rows = self.database.fetch_all(
            f"""SELECT i.jti, i.client_id, i.kid, i.scope, i.issued_at, i.expires_at, i.request_id, r.revoked_at
                FROM issued_tokens i LEFT JOIN revoked_tokens r ON r.jti = i.jti
                WHERE {' AND '.join(conditions)} ORDER BY i.issued_at DESC, i.jti LIMIT %s""",
            (*params, limit))
        return [IssuedToken(*row) for row in rows]


def load_revoked(cur: Any, leeway: int) -> dict[str, float]:
    """jti -> expiry (epoch seconds) of every revocation whose token could still be presented."""
    cur.execute("""SELECT jti, extract(epoch FROM expires_at)::float8 FROM revoked_tokens
                   WHERE expires_at > now() - make_interval(secs => %s)""", (leeway,))
    return dict(cur.fetchall())


def purge_expired(cur: Any) -> None:
    cur.execute("DELETE FROM revoked_tokens WHERE expires_at < now() - make_interval(secs => %s)",
                (PURGE_MARGIN_SECONDS,))
