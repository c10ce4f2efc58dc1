"""AuthMiddleware: every route needs a valid bearer token unless its resource says `auth = {"public": True}`."""
from __future__ import annotations

import logging

import falcon

from smn.auth.challenges import auth_unavailable, invalid_token, missing_token
from smn.auth.tokens import AuthUnavailable, TokenRejected, TokenVerifier

log = logging.getLogger("smn.auth")


def is_public(resource: object) -> bool:
    auth = getattr(resource, "auth", None)
    return isinstance(auth, dict) and auth.get("public") is True


def bearer_token(req: falcon.Request) -> str:
    """The RFC 6750 §2.1 credentials; a missing header or another scheme is a missing token."""
    header = req.get_header("Authorization")
    if header is None:
        raise missing_token()
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise missing_token()
    token = token.strip()
    if not token or " " in token:
        raise invalid_token("The Authorization header must be: Bearer <token>.")
    return token


class AuthMiddleware:
    """Verifies the bearer token against the in-memory auth view; sets req.context.client and .auth."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         params: dict) -> None:
        if resource is None or is_public(resource):
            return
        token = bearer_token(req)
        try:
            principal = self.verifier.verify(token)
        except TokenRejected as rejected:
            log.info("access token rejected", extra={
                "reason": rejected.reason, "client_id": rejected.client_id, "jti": rejected.jti})
            raise invalid_token(rejected.description) from None
        except AuthUnavailable:
            log.error("bearer token not checked: the auth view is not loaded")
            raise auth_unavailable() from None
        req.context.client = principal.client
        req.context.auth = principal
