"""The auth service API: what the CLI runs today and the admin UI will call.

Every write lands in PostgreSQL, whose triggers NOTIFY every SMN process, so
a revocation made here (or on another host) is enforced everywhere at once.
"""
from __future__ import annotations

import getpass
from typing import Iterable

from smn.auth.clients import ClientInfo, ClientStore, NewClient
from smn.auth.crypto import KeyCipher
from smn.auth.keys import KeyInfo, KeyStore
from smn.auth.revocations import IssuedToken, RevocationStore
from smn.db import Database
from smn.settings import Settings, SettingsError


def default_actor() -> str:
    """Who `revoked_by` names when the caller does not say: the OS user of the CLI."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def key_store(database: Database, settings: Settings) -> KeyStore:
    """Keys are encrypted under SMN_SECRET_KEY; a rotated key retires once its last token expired."""
    if not settings.secret_key:
        raise SettingsError("SMN_SECRET_KEY: required to create, rotate or use signing keys")
    return KeyStore(database, KeyCipher(settings.secret_key), settings.jwt_algorithm,
                    retire_delay=settings.token_max_ttl + settings.jwt_leeway)


class AuthService:
    """Clients, tokens and keys for operators; no listener thread, no in-memory view."""

    def __init__(self, database: Database, settings: Settings, keys: KeyStore | None = None) -> None:
        self.database = database
        self.settings = settings
        self.clients = ClientStore(database)
        self.revocations = RevocationStore(database)
        self._keys = keys

    @property
    def keys(self) -> KeyStore:
        if self._keys is None:
            self._keys = key_store(self.database, self.settings)
        return self._keys

    # clients
    def create_client(self, name: str, scopes: Iterable[str] | str, *, contact: str | None = None,
                      callback_url: str | None = None, rate_per_second: float | None = None,
                      burst: int | None = None) -> NewClient:
        return self.clients.create(name, scopes, contact=contact, callback_url=callback_url,
                                   rate_per_second=rate_per_second, burst=burst)

    def list_clients(self) -> list[ClientInfo]:
        return self.clients.list()

    def get_client(self, ref: str) -> ClientInfo:
        return self.clients.get(ref)

    def disable_client(self, ref: str) -> ClientInfo:
        """Every token of the client is refused at once, and it gets no new one."""
        return self.clients.set_active(ref, False)

    def enable_client(self, ref: str) -> ClientInfo:
        return self.clients.set_active(ref, True)

    def set_scopes(self, ref: str, scopes: Iterable[str] | str) -> ClientInfo:
        """Takes effect on live tokens too: a request's scopes are the token's ∩ the client's."""
        return self.clients.set_scopes(ref, scopes)

    def rotate_secret(self, ref: str, revoke_tokens: bool = False) -> NewClient:
        return self.clients.rotate_secret(ref, revoke_tokens)

    def revoke_all(self, ref: str) -> ClientInfo:
        """Refuse every token the client was issued until now; it may request new ones."""
        return self.clients.revoke_all(ref)

    # tokens
    def revoke_token(self, jti: str, reason: str = "revoked by an operator", revoked_by: str | None = None) -> str:
        """'revoked', 'already revoked' or 'unknown' (no token was issued with this jti)."""
        return self.revocations.revoke_jti(jti, reason, revoked_by or default_actor())

    def list_tokens(self, client_ref: str | None = None, active_only: bool = False, limit: int = 50
                    ) -> list[IssuedToken]:
        client_id = self.clients.get(client_ref).client_id if client_ref else None
        return self.revocations.issued(client_id, active_only, limit)

    # keys
    def rotate_key(self, algorithm: str | None = None) -> KeyInfo:
        return self.keys.rotate(algorithm)

    def list_keys(self) -> list[KeyInfo]:
        return self.keys.list()
