"""Admin sessions: a random token in the cookie, its SHA-256 in PostgreSQL, a CSRF token per session."""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

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


class LoginThrottle:
    """Failed logins per username and per address in a sliding window shared by every worker."""

    def __init__(self, database: Database, limit: int, window: int) -> None:
        self.database = database
        self.limit = limit
        self.window = window

    def retry_after(self, username: str, remote_addr: str | None) -> int | None:
        row = self.database.fetch_one(
            """SELECT count(*) FILTER (WHERE username = %(u)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE username = %(u)s)
                                         + make_interval(secs => %(w)s) - now())::float8,
                      count(*) FILTER (WHERE remote_addr = %(a)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE remote_addr = %(a)s)
                                         + make_interval(secs => %(w)s) - now())::float8
               FROM admin_login_failures
               WHERE failed_at > now() - make_interval(secs => %(w)s) AND (username = %(u)s OR remote_addr = %(a)s)""",
            {"w": self.window, "u": username[:64], "a": remote_addr})
        by_user, user_wait, by_addr, addr_wait = row
        waits = [wait for count, wait in ((by_user, user_wait), (by_addr, addr_wait))
                 if count >= self.limit and wait is not None]
        return max(1, math.ceil(max(waits))) if waits else None

    def record(self, username: str, remote_addr: str | None) -> None:
        self.database.execute("INSERT INTO admin_login_failures (username, remote_addr) VALUES (%s, %s)",
                              (username[:64], remote_addr))
        self.database.execute("DELETE FROM admin_login_failures WHERE failed_at < now() - make_interval(secs => %s)",
                              (self.window,))
