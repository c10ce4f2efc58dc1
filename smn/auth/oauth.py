"""OAuth 2.0 plumbing shared by /v1/auth/token and /v1/auth/revoke.

These two endpoints answer errors as RFC 6749 §5.2 JSON (`{"error": ...,
"error_description": ...}`), not problem+json: OAuth client libraries parse
exactly that shape. Clients authenticate with HTTP Basic (RFC 6749 §2.3.1) or
with client_id/client_secret in the body, never both.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

import falcon

from smn.auth.clients import ClientStore
from smn.auth.models import ClientRecord
from smn.auth.throttle import FailureThrottle

log = logging.getLogger("smn.auth.oauth")

MAX_BODY_BYTES = 8192
MAX_FIELDS = 20
_FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
BASIC_CHALLENGE = 'Basic realm="smn", charset="UTF-8"'


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None,
                 client_id: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}
        self.client_id = client_id


def write_error(resp: falcon.Response, error: OAuthError) -> None:
    resp.status = error.status
    resp.content_type = falcon.MEDIA_JSON
    resp.media = {"error": error.error, "error_description": error.description}
    resp.set_headers({**NO_STORE, **error.headers})


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def read_parameters(req: falcon.Request) -> dict[str, str]:
    """The body's parameters, form-encoded or JSON; every value a string, none repeated."""
    body = req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise invalid_request(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    media_type = (req.content_type or _FORM).split(";")[0].strip().lower()
    try:
        if media_type == _FORM:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body),
                              encoding="utf-8", errors="strict", max_num_fields=MAX_FIELDS)
        elif media_type == falcon.MEDIA_JSON:
            pairs = _json_pairs(body)
        else:
            raise invalid_request("send the parameters as application/x-www-form-urlencoded or application/json")
    except (ValueError, UnicodeError, RecursionError):
        raise invalid_request("the request body could not be parsed") from None
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise invalid_request(f"parameters must not be repeated: {', '.join(repeated)}")
    return dict(pairs)


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    document = json.loads(body.decode("utf-8"))
    if not isinstance(document, dict) or len(document) > MAX_FIELDS:
        raise invalid_request("the JSON body must be an object of string parameters")
    bad = sorted(name for name, value in document.items() if not isinstance(value, str))
    if bad:
        raise invalid_request(f"these parameters must be strings: {', '.join(bad)[:200]}")
    return list(document.items())


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str
    via_basic: bool


def credentials(req: falcon.Request, params: dict[str, str]) -> Credentials:
    """Client credentials from HTTP Basic or the body (exactly one of them)."""
    header = req.get_header("Authorization")
    in_body = "client_id" in params or "client_secret" in params
    if header is not None:
        if in_body:
            raise invalid_request("authenticate with HTTP Basic or with body parameters, not both")
        return _basic(header)
    if not in_body:
        raise invalid_client("client authentication is required (HTTP Basic or client_id and client_secret)", True)
    client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
    if not client_id or not secret:
        raise invalid_client("client_id and client_secret are both required", False)
    return Credentials(client_id, secret, False)


def _basic(header: str) -> Credentials:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("only HTTP Basic client authentication is supported in the Authorization header", True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise invalid_client("malformed HTTP Basic credentials", True) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id or not secret:
        raise invalid_client("malformed HTTP Basic credentials", True)
    return Credentials(unquote_plus(client_id), unquote_plus(secret), True)


def invalid_client(description: str, via_basic: bool, client_id: str | None = None) -> OAuthError:
    """401 with a Basic challenge: RFC 6749 requires it after Basic, and every 401 needs a challenge."""
    return OAuthError("invalid_client", description, 401, {"WWW-Authenticate": BASIC_CHALLENGE}, client_id)


class ClientAuthenticator:
    """Throttle, then check the secret; failures are recorded for the throttle."""

    def __init__(self, clients: ClientStore, throttle: FailureThrottle) -> None:
        self.clients = clients
        self.throttle = throttle

    def authenticate(self, req: falcon.Request, params: dict[str, str]) -> ClientRecord:
        creds = credentials(req, params)
        wait = self.throttle.retry_after(creds.client_id, req.remote_addr)
        if wait is not None:
            raise OAuthError("slow_down", f"too many failed client authentications; retry in {wait} seconds",
                             429, {"Retry-After": str(wait)}, creds.client_id)
        client = self.clients.authenticate(creds.client_id, creds.secret)
        if client is None:
            self.throttle.record(creds.client_id, req.remote_addr)
            raise invalid_client("client authentication failed", creds.via_basic, creds.client_id)
        return client
