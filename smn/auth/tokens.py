"""Access tokens: issue (sign with the active key) and verify (no database query, ever).

Verification binds the algorithm to the key found by `kid`, never to the
token's header, so a token cannot pick a weaker algorithm (HS256 "signed"
with a public key, or "none"). One bounded map (SMN_AUTH_CACHE_SIZE) remembers
each token whose signature and claims were checked, admitted or not, so a
token is never verified twice while it stays there. Expiry, revocation, the
key and the client's state are checked again whenever the auth view changes
(AuthState.generation) or the token or its key reaches its end of validity;
in between, the same token gets the same admission without repeating them
(issue #7).
"""
from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

import jwt

from smn.auth.crypto import cli_safe_token
from smn.auth.models import (
    CLIENT_ID_PATTERN,
    KID_PATTERN,
    AccessToken,
    ClientRecord,
    Principal,
)
from smn.auth.revocations import RevocationStore
from smn.auth.scopes import format_scopes
from smn.auth.state import AuthState
from smn.settings import Settings

MAX_TOKEN_BYTES = 4096
TOKEN_TYPE = "at+jwt"
_TOKEN_TYPES = frozenset({TOKEN_TYPE, "application/at+jwt"})
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_JTI = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub", "iss", "aud"]
# What parsing attacker-chosen JSON and numbers can raise besides PyJWT's own errors
# (deep nesting, 1e400 as a date...): all of them mean an invalid token, never a 500.
_PARSE_ERRORS = (jwt.PyJWTError, ValueError, TypeError, OverflowError, RecursionError)
READY_TIMEOUT = 5.0

INVALID = "The access token is invalid."
EXPIRED = "The access token has expired."
NOT_YET_VALID = "The access token is not valid yet."
REVOKED = "The access token has been revoked."
CLIENT_DISABLED = "The API client of this access token is disabled."


class TokenRejected(Exception):
    """A bearer token that must not be accepted: `reason` for logs, `description` for the caller."""

    def __init__(self, reason: str, description: str = INVALID, client_id: str | None = None,
                 jti: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.description = description
        self.client_id = client_id
        self.jti = jti


class AuthUnavailable(Exception):
    """The view of keys and clients is not loaded (PostgreSQL unreachable since start)."""


class _Entry(NamedTuple):
    """A token whose signature and claims were verified, and its admission if it has one.

    The admission (`principal`) stands while the auth view is at `generation`
    and until `until` (epoch seconds). A token not admitted (never yet, or
    rejected) has generation -1, which the view never reaches.
    """

    access: AccessToken
    generation: int = -1
    until: float = 0.0
    principal: Principal | None = None


class TokenVerifier:
    """Bearer token -> Principal, or TokenRejected; reads only the in-memory AuthState."""

    def __init__(self, state: AuthState, settings: Settings) -> None:
        self.state = state
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.algorithm = settings.jwt_algorithm
        self.leeway = settings.jwt_leeway
        self.max_lifetime = settings.token_max_ttl
        self.cache_size = settings.auth_cache_size
        self._entries: dict[str, _Entry] = {}
        self._insert_lock = threading.Lock()

    def ready(self) -> None:
        """Raise AuthUnavailable unless the view is loaded (waits briefly on a cold start)."""
        if not self.state.ready(READY_TIMEOUT):
            raise AuthUnavailable("auth view not loaded")

    def verify(self, token: str) -> Principal:
        self.ready()
        now = time.time()
        entry = self._entries.get(token)
        if entry is not None and entry.generation == self.state.generation and now < entry.until:
            return entry.principal  # type: ignore[return-value]  # admitted entries always have one
        generation = self.state.generation  # read before admit: a change made meanwhile voids this admission
        access = entry.access if entry is not None else self.decode(token)
        principal = self.admit(access, now)
        self._remember(token, _Entry(access, generation, self._admitted_until(access), principal))
        return principal

    def cached(self) -> int:
        """How many verified tokens are remembered (admitted or not); at most SMN_AUTH_CACHE_SIZE."""
        return len(self._entries)

    def _admitted_until(self, access: AccessToken) -> float:
        """When admit's verdict on `access` changes with no change to the auth view: expiry or key retirement."""
        until = access.expires_at + self.leeway
        key = self.state.key(access.kid)
        if key is not None and key.retire_after is not None:
            until = min(until, key.retire_after)
        return until

    def _remember(self, token: str, entry: _Entry) -> None:
        """Store `entry`; a new token evicts the oldest inserted ones beyond SMN_AUTH_CACHE_SIZE (0 keeps none).

        Only writers take the lock: dict reads and writes are atomic under the
        GIL, so the request path reads without one, and a single writer at a
        time makes the eviction's peek at the first key safe. Insertion order,
        not use, decides eviction (a hit reorders nothing, so it stays
        lock-free); an evicted token costs one signature check when it returns.
        Two threads admitting one token at once may overwrite each other's
        entry: the loser's next request re-admits it, from the cached claims.
        """
        if not self.cache_size:
            return
        with self._insert_lock:
            entries = self._entries
            if token not in entries:
                while len(entries) >= self.cache_size:
                    del entries[next(iter(entries))]
            entries[token] = entry

    def decode(self, token: str) -> AccessToken:
        """Signature and claims (remembered); says nothing about revocation or the client."""
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenRejected("too_large")
        entry = self._entries.get(token)
        if entry is not None:
            return entry.access
        access = self._decode_uncached(token)
        self._remember(token, _Entry(access))
        return access

    def admit(self, access: AccessToken, now: float) -> Principal:
        """What is checked on every request: key, expiry, revocation, client state."""
        key = self.state.key(access.kid)
        if key is None or not key.verifies_at(now):
            raise TokenRejected("key_retired", client_id=access.client_id, jti=access.jti)
        if now >= access.expires_at + self.leeway:
            raise TokenRejected("expired", EXPIRED, access.client_id, access.jti)
        if access.not_before > now + self.leeway:
            raise TokenRejected("not_yet_valid", NOT_YET_VALID, access.client_id, access.jti)
        if self.state.is_revoked(access.jti):
            raise TokenRejected("revoked", REVOKED, access.client_id, access.jti)
        client = self.state.client(access.client_id)
        if client is None:
            raise TokenRejected("unknown_client", client_id=access.client_id, jti=access.jti)
        if not client.active:
            raise TokenRejected("client_disabled", CLIENT_DISABLED, access.client_id, access.jti)
        if client.tokens_not_before is not None and access.issued_at < client.tokens_not_before:
            raise TokenRejected("revoked_by_client", REVOKED, access.client_id, access.jti)
        return Principal(access, client, access.scopes & client.scopes)

    def _decode_uncached(self, token: str) -> AccessToken:
        if not _COMPACT_JWS.fullmatch(token):
            raise TokenRejected("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except _PARSE_ERRORS:
            raise TokenRejected("malformed") from None
        key = self._key_for(header)
        try:
            claims = jwt.decode(token, key.verifier, algorithms=[key.algorithm], audience=self.audience,
                                issuer=self.issuer, leeway=self.leeway, options={"require": _REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError:
            raise TokenRejected("expired", EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected("not_yet_valid", NOT_YET_VALID) from None
        except _PARSE_ERRORS as exc:
            raise TokenRejected(_reason(exc)) from None
        access = _access_token(claims, key.kid)
        if access.expires_at - access.issued_at > self.max_lifetime:
            raise TokenRejected("lifetime_too_long")
        return access

    def _key_for(self, header: dict):
        if not _HEADER_KEYS.issuperset(header):
            raise TokenRejected("header_parameters")
        alg, kid = header.get("alg"), header.get("kid")
        allowed = self.state.keyset.algorithms | {self.algorithm}
        if not isinstance(alg, str) or alg not in allowed:
            raise TokenRejected("algorithm_not_allowed")
        if header.get("typ") not in _TOKEN_TYPES:
            raise TokenRejected("token_type")
        if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
            raise TokenRejected("bad_kid")
        key = self.state.key(kid)
        if key is None:
            raise TokenRejected("unknown_kid")
        if key.algorithm != alg:
            raise TokenRejected("algorithm_mismatch")
        return key


def _reason(exc: Exception) -> str:
    name = type(exc).__name__
    return {"InvalidSignatureError": "bad_signature", "InvalidAudienceError": "wrong_audience",
            "InvalidIssuerError": "wrong_issuer", "MissingRequiredClaimError": "missing_claim"}.get(name, "invalid")


def _access_token(claims: dict, kid: str) -> AccessToken:
    sub, jti, scope = claims.get("sub"), claims.get("jti"), claims.get("scope", "")
    if not (isinstance(sub, str) and CLIENT_ID_PATTERN.fullmatch(sub)):
        raise TokenRejected("bad_sub")
    if not (isinstance(jti, str) and _JTI.fullmatch(jti)):
        raise TokenRejected("bad_jti")
    if not isinstance(scope, str) or claims.get("client_id", sub) != sub:
        raise TokenRejected("bad_claims")
    try:
        issued_at, expires_at = int(claims["iat"]), int(claims["exp"])
        not_before = int(claims.get("nbf", issued_at))
    except (TypeError, ValueError, OverflowError):
        raise TokenRejected("bad_claims") from None
    return AccessToken(jti=jti, client_id=sub, kid=kid, scopes=frozenset(scope.split()), issued_at=issued_at,
                       not_before=not_before, expires_at=expires_at)


@dataclass(frozen=True)
class TokenResponse:
    """The token endpoint's answer (RFC 6749 §5.1)."""

    access_token: str
    expires_in: int
    scope: str
    jti: str

    def response(self) -> dict:
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in,
                "scope": self.scope}


class TokenIssuer:
    """Signs access tokens with the active key of this process's view and records each one (never the token)."""

    def __init__(self, state: AuthState, revocations: RevocationStore, settings: Settings) -> None:
        self.state = state
        self.revocations = revocations
        self.settings = settings

    def issue(self, client: ClientRecord, scopes: tuple[str, ...] | frozenset[str],
              request_id: str | None = None) -> TokenResponse:
        if not self.state.ready(READY_TIMEOUT):
            raise AuthUnavailable("auth view not loaded")
        key = self.state.keyset.signing
        if key is None:
            raise AuthUnavailable("no signing key")
        now = time.time()
        # A token issued in the same second as a revoke-all must not carry an iat before it.
        issued_at = max(int(now), math.ceil(client.tokens_not_before or 0))
        expires_at = issued_at + min(self.settings.token_ttl, self.settings.token_max_ttl)
        scope = format_scopes(scopes)
        jti = cli_safe_token(24)
        claims = {"iss": self.settings.jwt_issuer, "aud": self.settings.jwt_audience, "sub": client.client_id,
                  "client_id": client.client_id, "iat": issued_at, "nbf": issued_at, "exp": expires_at,
                  "jti": jti, "scope": scope}
        token = jwt.encode(claims, key.signer, algorithm=key.algorithm, headers={"kid": key.kid, "typ": TOKEN_TYPE})
        self.revocations.record_issued(jti, client.client_id, key.kid, scope, issued_at, expires_at, request_id)
        self.state.learn_client(client)
        return TokenResponse(token, max(1, expires_at - int(now)), scope, jti)
