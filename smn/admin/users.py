"""Admin users in PostgreSQL, passwords hashed with the same scrypt as client secrets."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from smn.auth.hashing import dummy_hash, hash_secret, verify_secret
from smn.db import Database

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 12


class AdminUserError(ValueError):
    """A username or password that cannot be used."""


@dataclass(frozen=True)
class AdminUser:
    id: int
    username: str


def new_password() -> str:
    """A strong password for generated admins (shown once)."""
    return secrets.token_urlsafe(18)


class AdminUserStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, username: str, password: str) -> AdminUser:
        if not USERNAME_PATTERN.fullmatch(username or ""):
            raise AdminUserError("username: use 1-64 letters, digits and _.@-")
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise AdminUserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
        row = self.database.fetch_one(
            """INSERT INTO admin_users (username, password_hash) VALUES (%s, %s)
               ON CONFLICT (username) DO NOTHING RETURNING id, username""", (username, hash_secret(password)))
        if row is None:
            raise AdminUserError(f"username: {username!r} already exists")
        return AdminUser(*row)

    def create_first(self, username: str) -> tuple[AdminUser, str] | None:
        """Create `username` with a generated password when there is no admin at all; else None.

        An advisory lock makes processes starting together agree on one admin.
        """
        password = new_password()
        with self.database.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('smn_admin_first'))")
            cur.execute("SELECT 1 FROM admin_users LIMIT 1")
            if cur.fetchone() is not None:
                return None
            cur.execute("INSERT INTO admin_users (username, password_hash) VALUES (%s, %s) RETURNING id, username",
                        (username, hash_secret(password)))
            user = AdminUser(*cur.fetchone())
        return user, password

    def authenticate(self, username: str, password: str) -> AdminUser | None:
        """The user when the password matches, else None; the same scrypt cost either way."""
        row = None
        if USERNAME_PATTERN.fullmatch(username or ""):
            row = self.database.fetch_one(
                "SELECT id, username, password_hash FROM admin_users WHERE username = %s AND active", (username,))
        if row is None:
            verify_secret(password or "", dummy_hash())
            return None
        if not verify_secret(password or "", row[2]):
            return None
        self.database.execute("UPDATE admin_users SET last_login_at = now() WHERE id = %s", (row[0],))
        return AdminUser(row[0], row[1])
