"""Per-request cost of bearer token verification, cached and uncached, for each signing algorithm.

Not collected by pytest. Run:  .venv/bin/python -m tests.auth.bench_verify [--number 5000]

The view is fed by hand (no PostgreSQL, no listener thread): verification reads
only memory, so what is measured is exactly what a request pays. "verify" is
the verifier alone; "middleware" is a Falcon request through AuthMiddleware to a
protected resource minus the same request to a public one.
"""
from __future__ import annotations

import argparse
import secrets
import time
import timeit

import falcon
import jwt
from falcon import testing

from smn.auth import crypto
from smn.auth.crypto import KeyCipher
from smn.auth.keys import KeySet, KeyStore
from smn.auth.models import ClientRecord, SigningKey, VerificationKey
from smn.auth.state import AuthState
from smn.auth.tokens import TOKEN_TYPE, TokenVerifier
from smn.db import Database
from smn.middleware.auth import AuthMiddleware
from smn.settings import Settings

CLIENT = ClientRecord("smn_bench000000000000", "bench", frozenset({"products:read"}), True)


def _state(settings: Settings, algorithm: str) -> tuple[AuthState, SigningKey]:
    database = Database("postgresql://unused.invalid/smn")
    cipher = KeyCipher(settings.secret_key)
    state = AuthState(database, KeyStore(database, cipher, algorithm, 3600), resync_interval=3600,
                      leeway=settings.jwt_leeway)
    generated = crypto.generate(algorithm)
    kid = crypto.new_kid()
    signing = SigningKey(kid, algorithm, crypto.signer(algorithm, generated.private))
    verifying = VerificationKey(kid, algorithm, crypto.verifier(algorithm, generated.public_jwk, generated.private),
                                generated.public_jwk, None)
    revoked = {secrets.token_urlsafe(24): time.time() + 600 for _ in range(1000)}
    state.replace({CLIENT.client_id: CLIENT}, revoked, KeySet({kid: verifying}, signing))
    state.ensure_started = lambda: None  # fed by hand: there is no listener to start
    return state, signing


def _token(settings: Settings, signing: SigningKey) -> str:
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": CLIENT.client_id,
              "client_id": CLIENT.client_id, "iat": now, "nbf": now, "exp": now + 900,
              "jti": secrets.token_urlsafe(24), "scope": "products:read"}
    return jwt.encode(claims, signing.signer, algorithm=signing.algorithm,
                      headers={"kid": signing.kid, "typ": TOKEN_TYPE})


class _Resource:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"ok": True}


class _Public(_Resource):
    auth = {"public": True}


def _per_call_us(statement, number: int) -> float:
    return min(timeit.repeat(statement, number=number, repeat=3)) / number * 1e6


def bench(algorithm: str, number: int) -> dict[str, float]:
    base = Settings.from_env({}, secret_key=secrets.token_urlsafe(48))
    figures = {}
    for label, cache_size in (("uncached", 0), ("cached", 4096)):
        settings = base.replace(auth_cache_size=cache_size)
        state, signing = _state(settings, algorithm)
        verifier = TokenVerifier(state, settings)
        token = _token(settings, signing)
        verifier.verify(token)
        figures[f"verify {label}"] = _per_call_us(lambda: verifier.verify(token), number)
        app = falcon.App(middleware=[AuthMiddleware(verifier)])
        app.add_route("/protected", _Resource())
        app.add_route("/public", _Public())
        client = testing.TestClient(app)
        headers = {"Authorization": f"Bearer {token}"}
        assert client.simulate_get("/protected", headers=headers).status_code == 200
        protected = _per_call_us(lambda: client.simulate_get("/protected", headers=headers), number // 5)
        public = _per_call_us(lambda: client.simulate_get("/public", headers=headers), number // 5)
        figures[f"middleware {label}"] = protected - public
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=5000, help="verifications per measurement")
    args = parser.parse_args()
    print(f"{'algorithm':10} {'verify uncached':>16} {'verify cached':>14} {'middleware uncached':>20} "
          f"{'middleware cached':>18}   (microseconds per request, best of 3 x {args.number})")
    for algorithm in ("EdDSA", "ES256", "RS256", "HS256"):
        f = bench(algorithm, args.number)
        print(f"{algorithm:10} {f['verify uncached']:16.1f} {f['verify cached']:14.1f} "
              f"{f['middleware uncached']:20.1f} {f['middleware cached']:18.1f}")


if __name__ == "__main__":
    main()
