"""Admin sessions: a random token in the cookie, its SHA-256 in PostgreSQL, a CSRF token per session."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from smn.auth.throttle import FailureThrottle
from smn.db import Database

COOKIE = "smn_admin"
LOGIN_CSRF_COOKIE = "smn_admin_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


@dataclass(frozen=True)
class AdminSession:
    user_id: int
    username: str
    csrf_token: str


class SessionStore:
    def __init__(self, database: Database, ttl: int) -> None:
        self.database = database
        self.ttl = ttl

    def create(self, user_id: int, remote_addr: str | None) -> tuple[str, str]:
        """(cookie token, csrf token) of a new session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.database.execute(
            """INSERT INTO admin_sessions (token_hash, user_id, csrf_token, expires_at, remote_addr)
               VALUES (%s, %s, %s, now() + make_interval(secs => %s), %s)""",
            (_digest(token), user_id, csrf, self.ttl, remote_addr))
        self.database.execute("DELETE FROM admin_sessions WHERE expires_at < now()")
        return token, csrf

    def lookup(self, token: str | None) -> AdminSession | None:
        if not token or len(token) > 200:
            return None
        row = self.database.fetch_one(
            """SELECT s.user_id, u.username, s.csrf_token FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
               WHERE s.token_hash = %s AND s.expires_at > now() AND u.active""", (_digest(token),))
        return AdminSession(*row) if row else None

    def delete(self, token: str | None) -> None:
        if token:
            self.database.execute("DELETE FROM admin_sessions WHERE token_hash = %s", (_digest(token),))


def login_throttle(database: Database, limit: int, window: int) -> FailureThrottle:
    """Failed admin logins per username and per address: the same sliding window as partner secrets."""
    return FailureThrottle(database, limit, window, table="admin_login_failures", identity="username",
                           normalize=_username)


def _username(username: str | None) -> str | None:
    return username[:64] if username else username
