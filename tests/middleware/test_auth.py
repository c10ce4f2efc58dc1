"""AuthMiddleware: every way a bearer token is refused, scopes, and what an accepted token gives a resource."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import time

import falcon
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from falcon import testing

from smn.app import create_app
from smn.auth.scopes import requires_scope
from smn.auth.tokens import TokenRejected
from tests.auth.helpers import assert_invalid_token, b64url, claims_for, sign, unb64url, unsigned
from tests.fixtures.auth import bearer

WHOAMI = "/v1/auth/whoami"


class ScopedResource:
    """A protected route needing partners:read, as partner resources declare it."""

    @requires_scope("partners:read")
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"client_id": req.context.client.client_id}

    @requires_scope("partners:read", "partners:write")
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"ok": True}


@pytest.fixture()
def acme(make_client):
    return make_client(["partners:read", "products:read"])


@pytest.fixture()
def token(acme, token_for):
    return token_for(acme)


@pytest.fixture(scope="module")
def scoped_client(settings, services):
    app = create_app(settings, services)
    app.add_route("/test/scoped", ScopedResource())
    return testing.TestClient(app)


def _whoami(client, token: str):
    return client.simulate_get(WHOAMI, headers=bearer(token))


def _parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(payload)), signature


# -- accepted ----------------------------------------------------------------------------


def test_a_valid_token_reaches_the_resource_with_its_client(client, acme, token, json_logs):
    response = _whoami(client, token)
    assert response.status_code == 200
    assert response.json["client_id"] == acme.client_id
    assert response.json["name"] == acme.name
    assert response.json["scopes"] == ["partners:read", "products:read"]
    (line,) = [line for line in json_logs.lines() if line["logger"] == "smn.access"]
    assert line["client"] == acme.client_id


def test_public_routes_need_no_token(client):
    assert client.simulate_get("/healthz").status_code == 200
    assert client.simulate_get("/.well-known/jwks.json").status_code == 200


def test_unknown_routes_stay_404_without_a_token(client):
    assert client.simulate_get("/nowhere").status_code == 404


def test_nbf_within_the_leeway_is_accepted(client, smn_auth, settings, acme):
    now = int(time.time())
    token = sign(smn_auth, claims_for(settings, acme.client_id, iat=now, nbf=now + 10))
    assert _whoami(client, token).status_code == 200


# -- refused: no or malformed credentials -------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic YTpi"}, {"Authorization": "Token abc"}])
def test_no_bearer_token_is_a_401_challenge_without_error_code(client, headers):
    response = client.simulate_get(WHOAMI, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="smn"'
    assert response.json["type"] == "/problems/missing-token"


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a b"])
def test_a_malformed_bearer_header_is_invalid_token(client, value):
    assert_invalid_token(client.simulate_get(WHOAMI, headers={"Authorization": value}))


# -- refused: algorithm and signature ------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(client, smn_auth, settings, acme, alg):
    kid = smn_auth.state.keyset.signing.kid
    forged = unsigned({"alg": alg, "kid": kid, "typ": "at+jwt"}, claims_for(settings, acme.client_id))
    assert_invalid_token(_whoami(client, forged))


def test_alg_outside_the_allow_list_is_refused(client, smn_auth, settings, acme):
    kid = smn_auth.state.keyset.signing.kid
    forged = jwt.encode(claims_for(settings, acme.client_id), "k" * 64, algorithm="HS512",
                        headers={"kid": kid, "typ": "at+jwt"})
    assert_invalid_token(_whoami(client, forged))


def _hs256(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64url(header)}.{b64url(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@pytest.mark.parametrize("encoding", ["pem", "raw", "jwk"])
def test_hs256_signed_with_the_public_key_is_refused(client, smn_auth, settings, acme, encoding):
    """Algorithm confusion: the key found by kid decides the algorithm, never the token's header."""
    key = smn_auth.state.keyset.verifying[smn_auth.state.keyset.signing.kid]
    public = key.verifier
    secret = {
        "pem": lambda: public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        "raw": lambda: public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "jwk": lambda: json.dumps(key.public_jwk).encode(),
    }[encoding]()
    forged = _hs256({"alg": "HS256", "kid": key.kid, "typ": "at+jwt"}, claims_for(settings, acme.client_id), secret)
    assert_invalid_token(_whoami(client, forged))


def test_a_bad_signature_is_refused(client, token):
    header, payload, signature = token.split(".")
    other = b64url(bytes(len(unb64url(signature))))
    assert_invalid_token(_whoami(client, f"{header}.{payload}.{other}"))


def test_a_tampered_header_is_refused(client, token):
    header, claims, signature = _parts(token)
    tampered = {**header, "typ": "at+jwt", "kid": header["kid"]}
    tampered_header = b64url(json.dumps(tampered, indent=1))
    assert tampered_header != token.split(".")[0]
    assert_invalid_token(_whoami(client, f"{tampered_header}.{token.split('.')[1]}.{signature}"))


def test_a_tampered_payload_is_refused(client, token):
    header, claims, signature = _parts(token)
    tampered = b64url({**claims, "scope": claims["scope"] + " orders:write"})
    assert_invalid_token(_whoami(client, f"{token.split('.')[0]}.{tampered}.{signature}"))


def test_an_unknown_kid_is_refused(client, smn_auth, settings, acme):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id), kid="nosuchkey")))


@pytest.mark.parametrize("kid", ["../../etc/passwd", "a b", "k" * 65, "", "clé", "a\\b", "kid\n", 7, None])
def test_a_kid_with_odd_characters_is_refused(client, smn_auth, settings, acme, kid):
    header = {"alg": smn_auth.state.keyset.signing.algorithm, "typ": "at+jwt", "kid": kid}
    token = sign(smn_auth, claims_for(settings, acme.client_id))
    forged = f"{b64url(header)}.{token.split('.', 1)[1]}"
    assert_invalid_token(_whoami(client, forged))


def test_a_token_that_is_not_an_access_token_is_refused(client, smn_auth, settings, acme):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id), typ="JWT")))


def test_unexpected_header_parameters_are_refused(client, smn_auth, settings, acme):
    token = sign(smn_auth, claims_for(settings, acme.client_id), jku="https://attacker.example/jwks.json")
    assert_invalid_token(_whoami(client, token))


# -- refused: claims ------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["exp", "iat", "jti", "sub", "iss", "aud"])
def test_a_missing_claim_is_refused(client, smn_auth, settings, acme, claim):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id, **{claim: None}))))


@pytest.mark.parametrize("claim, value", [("sub", 42), ("jti", "short"), ("jti", ["a" * 20]), ("scope", ["a"]),
                                          ("client_id", "someone-else"), ("exp", "soon")])
def test_a_claim_of_the_wrong_shape_is_refused(client, smn_auth, settings, acme, claim, value):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id, **{claim: value}))))


@pytest.mark.parametrize("exp", [10 ** 400, 2 ** 63, "inf"])
def test_an_absurd_expiry_is_refused(client, smn_auth, settings, acme, exp):
    token = sign(smn_auth, claims_for(settings, acme.client_id, exp=float(exp) if exp == "inf" else exp))
    assert_invalid_token(_whoami(client, token))


def test_a_lifetime_beyond_the_maximum_is_refused(client, smn_auth, settings, acme):
    now = int(time.time())
    token = sign(smn_auth, claims_for(settings, acme.client_id, exp=now + settings.token_max_ttl + 1))
    assert_invalid_token(_whoami(client, token))


def test_an_expired_token_is_refused(client, smn_auth, settings, acme):
    now = int(time.time())
    token = sign(smn_auth, claims_for(settings, acme.client_id, iat=now - 900, nbf=now - 900, exp=now - 60))
    assert_invalid_token(_whoami(client, token), "expired")


def test_a_token_not_valid_yet_is_refused(client, smn_auth, settings, acme):
    now = int(time.time())
    token = sign(smn_auth, claims_for(settings, acme.client_id, iat=now, nbf=now + 120))
    assert_invalid_token(_whoami(client, token), "not valid yet")


def test_a_token_issued_in_the_future_is_refused(client, smn_auth, settings, acme):
    now = int(time.time())
    token = sign(smn_auth, claims_for(settings, acme.client_id, iat=now + 120, nbf=now))
    assert_invalid_token(_whoami(client, token))


def test_a_wrong_issuer_is_refused(client, smn_auth, settings, acme):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id, iss="someone-else"))))


@pytest.mark.parametrize("aud", ["other-api", ["other-api"]])
def test_a_wrong_audience_is_refused(client, smn_auth, settings, acme, aud):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, acme.client_id, aud=aud))))


def test_a_token_over_4096_bytes_is_refused_before_parsing(client, smn_auth, settings, acme, monkeypatch):
    parsed = []
    monkeypatch.setattr(jwt, "get_unverified_header", lambda token: parsed.append(token) or {})
    token = sign(smn_auth, claims_for(settings, acme.client_id, padding="x" * 4096))
    assert len(token) > 4096
    assert_invalid_token(_whoami(client, token))
    assert parsed == []


# -- refused: revocation and the client's state ----------------------------------------------


def test_a_revoked_token_is_refused(client, smn_auth, token):
    assert _whoami(client, token).status_code == 200
    jti = _parts(token)[1]["jti"]
    assert smn_auth.service.revoke_token(jti, "test", "pytest") == "revoked"
    assert smn_auth.state.sync()
    assert_invalid_token(_whoami(client, token), "revoked")


def test_a_token_issued_before_the_clients_not_before_is_refused(client, smn_auth, acme, token):
    assert _whoami(client, token).status_code == 200
    smn_auth.service.revoke_all(acme.client_id)
    assert smn_auth.state.sync()
    assert_invalid_token(_whoami(client, token), "revoked")


def test_a_disabled_clients_token_is_refused(client, smn_auth, acme, token):
    assert _whoami(client, token).status_code == 200
    smn_auth.service.disable_client(acme.client_id)
    assert smn_auth.state.sync()
    assert_invalid_token(_whoami(client, token), "disabled")
    smn_auth.service.enable_client(acme.client_id)
    assert smn_auth.state.sync()
    assert _whoami(client, token).status_code == 200


def test_an_unknown_clients_token_is_refused(client, smn_auth, settings):
    assert_invalid_token(_whoami(client, sign(smn_auth, claims_for(settings, "smn_nobody"))))


# -- scopes ------------------------------------------------------------------------------------


def test_requires_scope_leaves_the_scope_for_the_openapi_builder():
    assert ScopedResource.on_get.required_scope == "partners:read"
    assert ScopedResource.on_post.required_scope == "partners:read partners:write"
    assert ScopedResource().on_get.required_scopes == ("partners:read",)


def test_a_token_with_the_scope_passes(scoped_client, token):
    assert scoped_client.simulate_get("/test/scoped", headers=bearer(token)).status_code == 200


def test_a_missing_scope_is_403_insufficient_scope(scoped_client, make_client, token_for):
    token = token_for(make_client(["products:read"]))
    response = scoped_client.simulate_post("/test/scoped", headers=bearer(token))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == (
        'Bearer realm="smn", error="insufficient_scope", scope="partners:read partners:write"')
    assert response.json["type"] == "/problems/insufficient-scope"


def test_a_token_asking_fewer_scopes_gets_fewer(scoped_client, acme, token_for):
    token = token_for(acme, scopes="products:read")
    assert scoped_client.simulate_get("/test/scoped", headers=bearer(token)).status_code == 403


def test_scopes_taken_from_the_client_apply_to_live_tokens(scoped_client, smn_auth, acme, token):
    assert scoped_client.simulate_get("/test/scoped", headers=bearer(token)).status_code == 200
    smn_auth.service.set_scopes(acme.client_id, ["products:read"])
    assert smn_auth.state.sync()
    assert scoped_client.simulate_get("/test/scoped", headers=bearer(token)).status_code == 403


def test_scope_check_without_a_token_is_401():
    app = falcon.App()
    app.add_route("/scoped", ScopedResource())
    response = testing.TestClient(app).simulate_get("/scoped")
    assert response.status_code == 401


# -- fuzzing: never a 500 ------------------------------------------------------------------------


def _fuzz_tokens(real: str, rng: random.Random) -> list[str]:
    header, payload, signature = real.split(".")
    alphabet = string.ascii_letters + string.digits + "-_.=+/ "
    latin1 = "".join(map(chr, range(0x21, 0x7F))) + "".join(map(chr, range(0xA0, 0x100)))
    tokens = [real[:cut] for cut in range(0, len(real), 7)]
    tokens += [real + "." + real, real + ".", "." * 3, "..", "a.b.c", "e30.e30.", "e30.e30.e30", "eyJ.eyJ.x"]
    tokens += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 300))) for _ in range(60)]
    tokens += ["".join(rng.choice(latin1) for _ in range(rng.randint(1, 300))) for _ in range(60)]
    tokens += [base64.urlsafe_b64encode(rng.randbytes(rng.randint(1, 600))).decode() for _ in range(40)]
    tokens += [f"{b64url(rng.randbytes(40))}.{payload}.{signature}" for _ in range(20)]
    tokens += [f"{header}.{b64url(rng.randbytes(80))}.{signature}" for _ in range(20)]
    tokens += [f"{b64url(json.dumps(value))}.{payload}.{signature}"
               for value in ([], "x", 1, None, {"alg": 1}, {"alg": ["EdDSA"]}, {"alg": "EdDSA", "kid": {}},
                             {"alg": "EdDSA", "kid": "x" * 5000}, {"alg": "RS256", "kid": "a", "typ": "at+jwt"})]
    tokens += [f"{header}.{b64url(json.dumps(value))}.{signature}"
               for value in ([], "x", 1e309, {"exp": "x"}, {"exp": 1e400}, {"exp": [1]}, {"iat": None})]
    deep_list, deep_object = b64url("[" * 2500), b64url('{"a":' * 2000)
    tokens += [f"{deep_list}.{payload}.{signature}", f"{header}.{deep_object}.{signature}"]
    tokens += ["A" * 4097, "A" * 100_000, "\u00ff" * 5000]
    return tokens


def test_fuzzed_tokens_get_401_never_500(client, token):
    rng = random.Random(20240607)
    statuses = {}
    for candidate in _fuzz_tokens(token, rng):
        response = client.simulate_get(WHOAMI, headers={"Authorization": "Bearer " + candidate})
        statuses.setdefault(response.status_code, []).append(candidate)
        assert response.status_code == 401, (response.status_code, candidate[:200])
    assert set(statuses) == {401}


def test_fuzzed_unicode_tokens_never_escape_the_verifier(smn_auth, token):
    rng = random.Random(7)
    for _ in range(300):
        candidate = "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(1, 200)))
        candidate = candidate.encode("utf-8", "replace").decode("utf-8", "replace")
        with pytest.raises(TokenRejected):
            smn_auth.verifier.verify(candidate)
