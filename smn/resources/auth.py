"""Partner authentication endpoints: token (RFC 6749 §4.4), revoke (RFC 7009), JWKS (RFC 7517), whoami.

The token and revocation endpoints answer errors in RFC 6749 §5.2 shape, the
one place in SMN without problem+json, because OAuth client libraries expect it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Callable

import falcon
import psycopg2

from smn.auth.challenges import auth_unavailable
from smn.auth.oauth import NO_STORE, OAuthError, invalid_request, read_parameters, write_error
from smn.auth.runtime import Auth
from smn.auth.scopes import InvalidScope, parse_scopes
from smn.auth.tokens import AuthUnavailable, TokenRejected
from smn.representation import not_modified
from smn.timefmt import epoch_iso

log = logging.getLogger("smn.auth")

JWKS_MAX_AGE = 300
GRANT_TYPE = "client_credentials"


def _unavailable() -> OAuthError:
    return OAuthError("temporarily_unavailable", "the authorization server cannot issue tokens right now; retry",
                      503, {"Retry-After": "5"})


class _OAuthEndpoint:
    """Runs a handler and turns OAuthError (and a database outage) into a §5.2 response, logged."""

    auth = {"public": True}
    endpoint = "token"

    def __init__(self, auth: Auth) -> None:
        self.auth_system = auth

    def _respond(self, req: falcon.Request, resp: falcon.Response,
                 handler: Callable[[falcon.Request, falcon.Response], None]) -> None:
        try:
            handler(req, resp)
        except OAuthError as error:
            self._refuse(req, resp, error)
        except (psycopg2.Error, AuthUnavailable) as exc:
            log.error("oauth endpoint failed", extra={"endpoint": self.endpoint, "error": type(exc).__name__})
            self._refuse(req, resp, _unavailable())

    def _refuse(self, req: falcon.Request, resp: falcon.Response, error: OAuthError) -> None:
        log.warning("oauth request refused", extra={
            "endpoint": self.endpoint, "oauth_error": error.error, "status": error.status,
            "client_id": error.client_id, "remote_addr": req.remote_addr})
        write_error(resp, error)


class TokenResource(_OAuthEndpoint):
    """POST /v1/auth/token: OAuth 2.0 client credentials grant."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Request an access token.
        ---
        summary: Request an access token (OAuth 2.0 client credentials)
        description: >
          Authenticate with HTTP Basic (client_id:client_secret) or with client_id and
          client_secret in the body, never both. The body is form-encoded (or JSON).
          Errors follow RFC 6749 §5.2 (`error`, `error_description`), not problem+json.
          After too many failed authentications for a client_id or from an address,
          the answer is 429 `slow_down` with Retry-After.
        tags: [Authentication]
        security: []
        requestBody:
          required: true
          content:
            application/x-www-form-urlencoded:
              schema:
                type: object
                required: [grant_type]
                properties:
                  grant_type: {type: string, enum: [client_credentials]}
                  scope: {type: string, description: Space-separated subset of the client's scopes; default all.}
                  client_id: {type: string}
                  client_secret: {type: string}
        responses:
          200:
            description: The access token.
            headers:
              Cache-Control: {schema: {type: string, example: no-store}}
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    access_token: {type: string}
                    token_type: {type: string, example: Bearer}
                    expires_in: {type: integer, example: 900}
                    scope: {type: string, example: orders:write products:read}
          400:
            $ref: '#/components/responses/OAuthError'
            description: "invalid_request, invalid_scope, unsupported_grant_type or unauthorized_client (disabled)."
          401:
            $ref: '#/components/responses/OAuthError'
            description: "invalid_client (unknown client or wrong secret)."
          429:
            $ref: '#/components/responses/OAuthError'
            description: "slow_down, after too many failed client authentications."
        """
        self._respond(req, resp, self._issue)

    def _issue(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = read_parameters(req)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise invalid_request("grant_type is required")
        if grant_type != GRANT_TYPE:
            raise OAuthError("unsupported_grant_type", "only grant_type=client_credentials is supported")
        client = self.auth_system.authenticator.authenticate(req, params)
        if not client.active:
            raise OAuthError("unauthorized_client", "this client is disabled", client_id=client.client_id)
        scopes = self._granted_scopes(params.get("scope"), client.scopes, client.client_id)
        issued = self.auth_system.issuer.issue(client, scopes, req.context.get("request_id"))
        log.info("token issued", extra={"client_id": client.client_id, "jti": issued.jti, "scope": issued.scope,
                                        "expires_in": issued.expires_in})
        resp.set_headers(NO_STORE)
        resp.media = issued.response()

    @staticmethod
    def _granted_scopes(requested: str | None, allowed: frozenset[str], client_id: str) -> frozenset[str]:
        if requested is None:
            return allowed
        try:
            scopes = frozenset(parse_scopes(requested.replace(",", " ")))
        except InvalidScope:
            raise OAuthError("invalid_scope", "the scope parameter is malformed", client_id=client_id) from None
        if not scopes:
            raise OAuthError("invalid_scope", "the scope parameter is empty", client_id=client_id)
        unknown = scopes - allowed
        if unknown:
            raise OAuthError("invalid_scope", f"not granted to this client: {' '.join(sorted(unknown))[:200]}",
                             client_id=client_id)
        return scopes


class RevokeResource(_OAuthEndpoint):
    """POST /v1/auth/revoke: RFC 7009 token revocation, for the client's own tokens."""

    endpoint = "revoke"

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Revoke an access token.
        ---
        summary: Revoke an access token (RFC 7009)
        description: >
          The client authenticates as at the token endpoint and sends `token` (and
          optionally `token_type_hint`). The answer is 200 whether or not the token was
          valid, known, or the client's own; only the client's own tokens are revoked.
          Every SMN worker refuses the token within milliseconds.
        tags: [Authentication]
        security: []
        requestBody:
          required: true
          content:
            application/x-www-form-urlencoded:
              schema:
                type: object
                required: [token]
                properties:
                  token: {type: string}
                  token_type_hint: {type: string, enum: [access_token]}
        responses:
          200:
            description: Revoked, or nothing to revoke.
          400:
            $ref: '#/components/responses/OAuthError'
            description: "invalid_request (no token parameter)."
          401:
            $ref: '#/components/responses/OAuthError'
            description: "invalid_client."
        """
        self._respond(req, resp, self._revoke)

    def _revoke(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = read_parameters(req)
        token = params.get("token")
        if not token:
            raise invalid_request("the token parameter is required")
        client = self.auth_system.authenticator.authenticate(req, params)
        resp.set_headers(NO_STORE)
        resp.status = falcon.HTTP_200
        resp.data = b""
        try:
            self.auth_system.verifier.ready()
            access = self.auth_system.verifier.decode(token)
        except TokenRejected:
            return
        if access.client_id != client.client_id:
            log.warning("revocation of another client's token ignored",
                        extra={"client_id": client.client_id, "jti": access.jti})
            return
        if access.expires_at + self.auth_system.settings.jwt_leeway <= time.time():
            return
        self.auth_system.service.revocations.revoke(access.jti, access.client_id, access.expires_at,
                                                    "revoked by the client (RFC 7009)", client.client_id)
        log.info("token revoked", extra={"client_id": client.client_id, "jti": access.jti, "by": "client"})


class JwksResource:
    """GET /.well-known/jwks.json: the public keys that still verify (RFC 7517); never HS256 secrets."""

    auth = {"public": True}

    def __init__(self, auth: Auth) -> None:
        self.auth_system = auth

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Public signing keys.
        ---
        summary: Public keys that verify SMN's access tokens (JWKS)
        description: >
          Every key that still verifies a live token, active key first. Cached for five
          minutes; send the ETag back in If-None-Match. Empty when SMN signs with HS256
          (a shared secret is never published).
        tags: [Authentication]
        security: []
        responses:
          200:
            description: A JSON Web Key Set.
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    keys: {type: array, items: {type: object}}
          304: {$ref: '#/components/responses/NotModified'}
        """
        try:
            self.auth_system.verifier.ready()
        except AuthUnavailable:
            raise auth_unavailable() from None
        body = jwks_body(self.auth_system, time.time())
        etag = hashlib.sha256(body).hexdigest()[:32]
        resp.etag = etag
        resp.cache_control = ["public", f"max-age={JWKS_MAX_AGE}"]
        if not_modified(req, etag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = "application/jwk-set+json"
        resp.data = body


def jwks_body(auth: Auth, now: float) -> bytes:
    keys = sorted((key for key in auth.state.keyset.verifying.values()
                   if key.public_jwk is not None and key.verifies_at(now)),
                  key=lambda key: (key.retire_after is not None, -(key.retire_after or 0), key.kid))
    document = {"keys": [{**key.public_jwk, "kid": key.kid, "alg": key.algorithm, "use": "sig"} for key in keys]}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class WhoAmIResource:
    """GET /v1/auth/whoami: the client and scopes of the presented token."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check an access token.
        ---
        summary: Who am I (check an access token)
        description: >
          Answers with the API client and the scopes in effect for this token: the
          token's scopes that the client still holds. Needs no particular scope.
        tags: [Authentication]
        responses:
          200:
            description: The caller.
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    client_id: {type: string, example: smn_4f1c2a7e3b9d4c1e9a55}
                    name: {type: string, example: acme}
                    scopes: {type: array, items: {type: string}, example: [orders:write, products:read]}
                    token:
                      type: object
                      properties:
                        jti: {type: string}
                        issued_at: {type: string, format: date-time}
                        expires_at: {type: string, format: date-time}
        """
        principal = req.context.auth
        resp.media = {
            "client_id": principal.client.client_id,
            "name": principal.client.name,
            "scopes": sorted(principal.scopes),
            "token": {"jti": principal.token.jti, "issued_at": epoch_iso(principal.token.issued_at),
                      "expires_at": epoch_iso(principal.token.expires_at)},
        }


def add_auth_routes(app: falcon.App, auth: Auth) -> None:
    app.add_route("/v1/auth/token", TokenResource(auth))
    app.add_route("/v1/auth/revoke", RevokeResource(auth))
    app.add_route("/v1/auth/whoami", WhoAmIResource())
    app.add_route("/.well-known/jwks.json", JwksResource(auth))
