"""The small immutable records the auth modules pass around."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CLIENT_ID_PATTERN = KID_PATTERN


@dataclass(frozen=True)
class ClientRecord:
    """What a request needs to know about its API client; never the secret hash."""

    client_id: str
    name: str
    scopes: frozenset[str]
    active: bool
    tokens_not_before: float | None = None
    rate_per_second: float | None = None
    burst: int | None = None


@dataclass(frozen=True)
class VerificationKey:
    """A key that still verifies: its algorithm is bound to the key, never taken from a token."""

    kid: str
    algorithm: str
    verifier: Any
    public_jwk: dict | None
    retire_after: float | None

    def verifies_at(self, now: float) -> bool:
        return self.retire_after is None or now < self.retire_after


@dataclass(frozen=True)
class SigningKey:
    """The active key, with its private half (or HMAC secret) decrypted in this process only."""

    kid: str
    algorithm: str
    signer: Any


@dataclass(frozen=True)
class AccessToken:
    """The verified claims of one bearer token."""

    jti: str
    client_id: str
    kid: str
    scopes: frozenset[str]
    issued_at: int
    not_before: int
    expires_at: int


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token, its client, and the scopes in effect (token ∩ client's current scopes)."""

    token: AccessToken
    client: ClientRecord
    scopes: frozenset[str]

    @property
    def client_id(self) -> str:
        return self.client.client_id
