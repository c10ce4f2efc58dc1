"""API clients in PostgreSQL: create, find, authenticate, disable, rotate secrets, revoke all tokens."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from smn.auth.hashing import dummy_hash, hash_secret, new_secret, verify_secret
from smn.auth.models import CLIENT_ID_PATTERN, ClientRecord
from smn.auth.scopes import parse_scopes
from smn.db import Database

_RECORD_COLUMNS = ("client_id, name, scopes, active, extract(epoch FROM tokens_not_before)::float8, "
                   "rate_per_second::float8, burst")
_INFO_COLUMNS = _RECORD_COLUMNS + ", callback_url, contact, created_at, updated_at, secret_rotated_at"
LIMIT_COLUMNS = ("callback_url", "rate_per_second", "burst")
"""What `ClientStore.set_limits` changes: where finished jobs are POSTed, and the rate limit."""


class UnknownClient(LookupError):
    """No API client has this client_id or name."""


@dataclass(frozen=True)
class ClientInfo:
    """An API client as ops and the admin UI see it (never the secret or its hash)."""

    record: ClientRecord
    callback_url: str | None
    contact: str | None
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime

    @property
    def client_id(self) -> str:
        return self.record.client_id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def scopes(self) -> frozenset[str]:
        return self.record.scopes

    @property
    def active(self) -> bool:
        return self.record.active


@dataclass(frozen=True)
class NewClient:
    """A created client and its secret, which is shown this once and never stored in clear."""

    info: ClientInfo
    secret: str


def new_client_id() -> str:
    return "smn_" + secrets.token_hex(10)


def record_from_row(row: tuple) -> ClientRecord:
    client_id, name, scopes, active, not_before, rate, burst = row[:7]
    return ClientRecord(client_id=client_id, name=name, scopes=frozenset(scopes or ()), active=active,
                        tokens_not_before=not_before, rate_per_second=rate, burst=burst)


def _info_from_row(row: tuple) -> ClientInfo:
    return ClientInfo(record_from_row(row), *row[7:])


def load_records(cur: Any, client_id: str | None = None) -> list[ClientRecord]:
    """Every client (or one) as the in-memory view keeps them; runs on the caller's cursor."""
    if client_id is None:
        cur.execute(f"SELECT {_RECORD_COLUMNS} FROM api_clients")
    else:
        cur.execute(f"SELECT {_RECORD_COLUMNS} FROM api_clients WHERE client_id = %s", (client_id,))
    return [record_from_row(row) for row in cur.fetchall()]


class ClientStore:
    """The api_clients table. Writes fire the smn_auth NOTIFY trigger, so every process sees them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, name: str, scopes: Iterable[str] | str, *, contact: str | None = None,
               callback_url: str | None = None, rate_per_second: float | None = None,
               burst: int | None = None) -> NewClient:
        secret = new_secret()
        client_id = new_client_id()
        row = self.database.fetch_one(
            f"""INSERT INTO api_clients (client_id, name, secret_hash, scopes, contact, callback_url,
                                         rate_per_second, burst)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_INFO_COLUMNS}""",
            (client_id, name, hash_secret(secret), list(parse_scopes(scopes)), contact, callback_url,
             rate_per_second, burst))
        return NewClient(_info_from_row(row), secret)

    def get(self, ref: str) -> ClientInfo:
        """By client_id, else by name; raises UnknownClient."""
        row = self.database.fetch_one(
            f"SELECT {_INFO_COLUMNS} FROM api_clients WHERE client_id = %s OR name = %s "
            "ORDER BY client_id = %s DESC LIMIT 1", (ref, ref, ref))
        if row is None:
            raise UnknownClient(ref)
        return _info_from_row(row)

    def list(self) -> list[ClientInfo]:
        rows = self.database.fetch_all(f"SELECT {_INFO_COLUMNS} FROM api_clients ORDER BY created_at, client_id")
        return [_info_from_row(row) for row in rows]

    def authenticate(self, client_id: str, secret: str) -> ClientRecord | None:
        """The client when `secret` is its secret, else None; the same KDF cost either way."""
        row = None
        if CLIENT_ID_PATTERN.fullmatch(client_id):
            row = self.database.fetch_one(
                f"SELECT {_RECORD_COLUMNS}, secret_hash FROM api_clients WHERE client_id = %s", (client_id,))
        if row is None:
            verify_secret(secret, dummy_hash())
            return None
        return record_from_row(row) if verify_secret(secret, row[7]) else None

    def _update(self, ref: str, assignments: str, params: tuple = ()) -> ClientInfo:
        row = self.database.fetch_one(
            f"""UPDATE api_clients SET {assignments}, updated_at = now()
                WHERE client_id = (SELECT client_id FROM api_clients WHERE client_id = %s OR name = %s
                                   ORDER BY client_id = %s DESC LIMIT 1)
                RETURNING {_INFO_COLUMNS}""", (*params, ref, ref, ref))
        if row is None:
            raise UnknownClient(ref)
        return _info_from_row(row)

    def set_active(self, ref: str, active: bool) -> ClientInfo:
        return self._update(ref, "active = %s", (active,))

    def set_scopes(self, ref: str, scopes: Iterable[str] | str) -> ClientInfo:
        return self.set_limits(ref, {}, scopes)

    def set_limits(self, ref: str, limits: Mapping[str, Any], scopes: Iterable[str] | str | None = None
                   ) -> ClientInfo:
        """The members of LIMIT_COLUMNS that `limits` has (None clears one), and the scopes when given: one UPDATE.

        Members left out keep their stored value, so two admins changing
        different members at once do not undo each other's change.
        """
        unknown = set(limits) - set(LIMIT_COLUMNS)
        if unknown:
            raise ValueError(f"not a client limit: {', '.join(sorted(unknown))}")
        columns = [column for column in LIMIT_COLUMNS if column in limits]
        assignments = [f"{column} = %s" for column in columns]
        params: list[Any] = [limits[column] for column in columns]
        if scopes is not None:
            assignments.append("scopes = %s")
            params.append(list(parse_scopes(scopes)))
        if not assignments:
            return self.get(ref)
        return self._update(ref, ", ".join(assignments), tuple(params))

    def revoke_all(self, ref: str) -> ClientInfo:
        """Every token issued until now is refused from now on (tokens_not_before = now())."""
        return self._update(ref, "tokens_not_before = now()")

    def rotate_secret(self, ref: str, revoke_tokens: bool = False) -> NewClient:
        secret = new_secret()
        assignments = "secret_hash = %s, secret_rotated_at = now()"
        if revoke_tokens:
            assignments += ", tokens_not_before = now()"
        return NewClient(self._update(ref, assignments, (hash_secret(secret),)), secret)
