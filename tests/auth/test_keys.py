"""Signing keys: created on first start, encrypted at rest, rotated without breaking live tokens, published."""
from __future__ import annotations

import json
import secrets
import threading
from datetime import timedelta

import psycopg2
import pytest
from cryptography.hazmat.primitives import serialization
from falcon import testing

from smn.auth.crypto import KeyCipher, KeyDecryptionError
from smn.auth.runtime import build_auth
from smn.db import Database
from smn.db.migrations import migrate
from tests.auth.helpers import assert_invalid_token, unb64url, wait_until
from tests.fixtures.auth import bearer

JWKS = "/.well-known/jwks.json"
WHOAMI = "/v1/auth/whoami"


def _kid(token: str) -> str:
    return json.loads(unb64url(token.split(".")[0]))["kid"]


def _alg(token: str) -> str:
    return json.loads(unb64url(token.split(".")[0]))["alg"]


def _jwks_kids(client) -> list[str]:
    return [key["kid"] for key in client.simulate_get(JWKS).json["keys"]]


@pytest.fixture()
def fresh_database(database_url):
    """A new, migrated, empty database on the same server: a first start."""
    name = f"smn_keys_{secrets.token_hex(4)}"
    admin = psycopg2.connect(database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = psycopg2.extensions.make_dsn(database_url, dbname=name)
    migrate(url)
    yield url
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture()
def restore_eddsa(smn_auth):
    """Tests that rotate leave an EdDSA key active for the tests after them."""
    yield
    smn_auth.service.rotate_key("EdDSA")
    assert smn_auth.state.sync()


def test_first_start_creates_exactly_one_key_even_when_workers_start_together(settings, fresh_database):
    own = settings.replace(database_url=fresh_database)
    runtimes = [build_auth(own, Database(fresh_database, 2)) for _ in range(4)]
    try:
        threads = [threading.Thread(target=runtime.state.ensure_started) for runtime in runtimes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(runtime.state.wait_ready(10) for runtime in runtimes)
        keys = runtimes[0].service.list_keys()
        assert [(key.algorithm, key.active) for key in keys] == [("EdDSA", True)]
        assert {runtime.state.keyset.signing.kid for runtime in runtimes} == {keys[0].kid}
    finally:
        for runtime in runtimes:
            runtime.close()
            runtime.service.database.close()


def test_private_keys_are_encrypted_at_rest(smn_auth, settings, db):
    signing = smn_auth.state.keyset.signing
    (blob,) = db("SELECT private_key FROM signing_keys WHERE kid = %s", (signing.kid,))[0]
    der = signing.signer.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    raw = signing.signer.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())
    assert der not in bytes(blob) and raw not in bytes(blob)
    assert KeyCipher(settings.secret_key).decrypt(blob, signing.kid, signing.algorithm) == der
    with pytest.raises(KeyDecryptionError):
        KeyCipher(secrets.token_urlsafe(48)).decrypt(blob, signing.kid, signing.algorithm)
    with pytest.raises(KeyDecryptionError):
        KeyCipher(settings.secret_key).decrypt(blob, "another-kid", signing.algorithm)


def test_a_wrong_secret_key_cannot_sign_but_still_verifies(isolated_app, client, make_client, token_for, json_logs):
    acme = make_client(["a:b"])
    token = token_for(acme)
    app, auth = isolated_app(secret_key=secrets.token_urlsafe(48))
    worker = testing.TestClient(app)
    assert auth.state.keyset.signing is None
    assert worker.simulate_get(WHOAMI, headers=bearer(token)).status_code == 200
    response = worker.simulate_post("/v1/auth/token", body="grant_type=client_credentials",
                                    headers={**acme.basic(), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 503 and response.json["error"] == "temporarily_unavailable"
    assert any("SMN_SECRET_KEY does not decrypt" in line["message"] for line in json_logs.lines())


def test_jwks_publishes_public_keys_with_caching_headers(client, smn_auth):
    response = client.simulate_get(JWKS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwk-set+json"
    assert response.headers["cache-control"] == "public, max-age=300"
    etag = response.headers["etag"]
    (key,) = [key for key in response.json["keys"] if key["kid"] == smn_auth.state.keyset.signing.kid]
    assert key == {**key, "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"}
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set().union(*response.json["keys"])
    again = client.simulate_get(JWKS, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag


def test_rotation_keeps_old_tokens_valid_until_retire_after(client, smn_auth, settings, make_client, token_for, db,
                                                             restore_eddsa):
    acme = make_client(["a:b"])
    old_token = token_for(acme)
    old_kid = _kid(old_token)
    etag = client.simulate_get(JWKS).headers["etag"]

    rotated = smn_auth.service.rotate_key()
    assert smn_auth.state.sync()
    new_token = token_for(acme)
    assert _kid(new_token) == rotated.kid != old_kid
    assert client.simulate_get(WHOAMI, headers=bearer(old_token)).status_code == 200
    assert client.simulate_get(WHOAMI, headers=bearer(new_token)).status_code == 200
    assert _jwks_kids(client)[:2] == [rotated.kid, old_kid]
    assert client.simulate_get(JWKS, headers={"If-None-Match": etag}).status_code == 200

    old = {key.kid: key for key in smn_auth.service.list_keys()}[old_kid]
    assert old.status(old.rotated_at) == "verifying"
    assert old.retire_after - old.rotated_at == timedelta(seconds=settings.token_max_ttl + settings.jwt_leeway)

    db("UPDATE signing_keys SET retire_after = now() - interval '1 second' WHERE kid = %s", (old_kid,))
    assert smn_auth.state.sync()
    assert old_kid not in _jwks_kids(client)
    assert_invalid_token(client.simulate_get(WHOAMI, headers=bearer(old_token)))
    assert client.simulate_get(WHOAMI, headers=bearer(new_token)).status_code == 200


def test_retired_keys_lose_their_private_half(isolated_app, smn_auth, db, restore_eddsa):
    old_kid = smn_auth.state.keyset.signing.kid
    smn_auth.service.rotate_key()
    db("UPDATE signing_keys SET retire_after = now() - interval '1 second' WHERE kid = %s", (old_kid,))
    isolated_app(auth_resync_interval=1)
    wait_until(lambda: db("SELECT private_key IS NULL, retired_at IS NOT NULL FROM signing_keys WHERE kid = %s",
                          (old_kid,)) == [(True, True)], timeout=4)
    statuses = {key.kid: key.status(key.created_at) for key in smn_auth.service.list_keys()}
    assert statuses[old_kid] == "retired"


@pytest.mark.parametrize("algorithm, kty", [("ES256", "EC"), ("RS256", "RSA"), ("HS256", None)])
def test_every_algorithm_signs_and_verifies(client, smn_auth, make_client, token_for, algorithm, kty,
                                            restore_eddsa):
    previous = smn_auth.state.keyset.signing.kid
    rotated = smn_auth.service.rotate_key(algorithm)
    assert smn_auth.state.sync()
    token = token_for(make_client(["a:b"]))
    assert (_alg(token), _kid(token)) == (algorithm, rotated.kid)
    assert client.simulate_get(WHOAMI, headers=bearer(token)).status_code == 200
    keys = {key["kid"]: key for key in client.simulate_get(JWKS).json["keys"]}
    if kty is None:
        assert rotated.kid not in keys, "an HMAC secret is never published"
    else:
        assert keys[rotated.kid]["kty"] == kty and keys[rotated.kid]["alg"] == algorithm
    assert previous in keys


def test_an_algorithm_switch_never_lets_a_token_choose_its_algorithm(client, smn_auth, make_client, token_for,
                                                                      restore_eddsa):
    """With an HS256 key and an EdDSA key both verifying, each kid accepts only its own algorithm."""
    eddsa_token = token_for(make_client(["a:b"]))
    eddsa_kid = _kid(eddsa_token)
    smn_auth.service.rotate_key("HS256")
    assert smn_auth.state.sync()
    hs_key = smn_auth.state.keyset.signing
    import jwt

    claims = json.loads(unb64url(eddsa_token.split(".")[1]))
    forged = jwt.encode(claims, hs_key.signer, algorithm="HS256", headers={"kid": eddsa_kid, "typ": "at+jwt"})
    assert_invalid_token(client.simulate_get(WHOAMI, headers=bearer(forged)))
    assert client.simulate_get(WHOAMI, headers=bearer(eddsa_token)).status_code == 200
