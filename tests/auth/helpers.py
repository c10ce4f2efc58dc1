"""Helpers for the auth tests: raw SQL, forged tokens, polling."""
from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any, Callable

import jwt
import psycopg2


def sql(database_url: str, statement: str, params: Any = None) -> list[tuple]:
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def b64url(raw: bytes | str | dict) -> str:
    if isinstance(raw, dict):
        raw = json.dumps(raw, separators=(",", ":"))
    if isinstance(raw, str):
        raw = raw.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def claims_for(settings, subject: str, **overrides: Any) -> dict:
    """Valid claims for the client `subject`; an override of None removes the claim."""
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": subject, "client_id": subject,
              "iat": now, "nbf": now, "exp": now + 600, "jti": secrets.token_urlsafe(24), "scope": ""}
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def sign(auth, claims: dict, **header: Any) -> str:
    """A token signed with the real active key (to test claim checks, not signatures)."""
    key = auth.state.keyset.signing
    headers = {"kid": key.kid, "typ": "at+jwt", **header}
    return jwt.encode(claims, key.signer, algorithm=key.algorithm, headers=headers)


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    return f"{b64url(header)}.{b64url(claims)}.{b64url(signature) if signature else ''}"


def jti_of(token: str) -> str:
    return json.loads(unb64url(token.split(".")[1]))["jti"]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> float:
    """Seconds it took `predicate` to become true; fails after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(interval)
    return time.monotonic() - started


def assert_invalid_token(response, detail: str | None = None) -> None:
    """401 problem+json with an RFC 6750 invalid_token challenge."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="smn", error="invalid_token", error_description="'), challenge
    body = response.json
    assert body["status"] == 401 and body["type"] == "/problems/invalid-token" and body["request_id"]
    if detail:
        assert detail in body["detail"]
