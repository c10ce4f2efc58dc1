"""The 401 and 403 problems of the resource server, with their RFC 6750 challenges."""
from __future__ import annotations

from smn.errors import Problem

REALM = "smn"


def _quoted(value: str) -> str:
    """RFC 6750 §3: error_description and scope allow no '"' or '\\'."""
    return "".join(ch for ch in value if ch not in '"\\' and 0x20 <= ord(ch) <= 0x7E)


def bearer_challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{_quoted(description)}"')
    if scope:
        parts.append(f'scope="{_quoted(scope)}"')
    return "Bearer " + ", ".join(parts)


def missing_token() -> Problem:
    """RFC 6750 §3.1: a request without credentials gets a challenge without an error code."""
    return Problem(401, "This operation needs an access token: send Authorization: Bearer <token>.",
                   slug="missing-token", headers={"WWW-Authenticate": bearer_challenge()})


def invalid_token(description: str) -> Problem:
    return Problem(401, description, slug="invalid-token",
                   headers={"WWW-Authenticate": bearer_challenge("invalid_token", description)})


def insufficient_scope(required: str) -> Problem:
    return Problem(403, f"The access token lacks the scope this operation needs: {required}.",
                   slug="insufficient-scope", extra={"required_scope": required},
                   headers={"WWW-Authenticate": bearer_challenge("insufficient_scope", scope=required)})


def auth_unavailable() -> Problem:
    return Problem(503, "Token verification is starting or cannot reach its data yet; retry shortly.",
                   slug="auth-unavailable", headers={"Retry-After": "2"})
