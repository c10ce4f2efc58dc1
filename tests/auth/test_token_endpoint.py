"""POST /v1/auth/token: OAuth 2.0 client credentials, with RFC 6749 §5.2 errors and a shared throttle."""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import quote

import jwt
import pytest

from tests.auth.helpers import unb64url
from tests.fixtures.auth import bearer

TOKEN = "/v1/auth/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture()
def acme(make_client):
    return make_client(["products:read", "orders:write"])


def _post(client, body: str | bytes, headers: dict | None = None, content_type: str | None = None,
          remote_addr: str = "127.0.0.1"):
    headers = {**({"Content-Type": content_type} if content_type else FORM), **(headers or {})}
    return client.simulate_post(TOKEN, body=body, headers=headers, remote_addr=remote_addr)


def _body_credentials(api_client, extra: str = "") -> str:
    return f"grant_type=client_credentials&client_id={api_client.client_id}&client_secret={api_client.secret}{extra}"


def assert_oauth_error(response, status: int, error: str) -> dict:
    """Exactly RFC 6749 §5.2: application/json, {error, error_description}, no-store."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert set(response.json) == {"error", "error_description"}
    assert response.json["error"] == error
    return response.json


def _claims(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(payload))


# -- issuing -----------------------------------------------------------------------------------


def test_basic_authentication_issues_a_bearer_token(client, acme, settings, smn_auth):
    before = int(time.time())
    response = _post(client, "grant_type=client_credentials", acme.basic())
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.token_ttl
    assert body["scope"] == "orders:write products:read"
    header, claims = _claims(body["access_token"])
    assert header == {"alg": "EdDSA", "kid": smn_auth.state.keyset.signing.kid, "typ": "at+jwt"}
    assert claims["iss"] == settings.jwt_issuer and claims["aud"] == settings.jwt_audience
    assert claims["sub"] == claims["client_id"] == acme.client_id
    assert before <= claims["iat"] == claims["nbf"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + settings.token_ttl
    assert len(claims["jti"]) >= 32  # 24 random bytes, base64url
    assert client.simulate_get("/v1/auth/whoami", headers=bearer(body["access_token"])).status_code == 200


def test_body_credentials_issue_a_token(client, acme):
    response = _post(client, _body_credentials(acme))
    assert response.status_code == 200, response.text


def test_a_json_body_is_accepted(client, acme):
    body = json.dumps({"grant_type": "client_credentials", "client_id": acme.client_id,
                       "client_secret": acme.secret, "scope": "products:read"})
    response = _post(client, body, content_type="application/json")
    assert response.status_code == 200, response.text
    assert response.json["scope"] == "products:read"


def test_basic_credentials_are_form_urlencoded_first(client, acme):
    raw = f"{quote(acme.client_id, safe='')}:{quote(acme.secret, safe='')}".encode()
    response = _post(client, "grant_type=client_credentials",
                     {"Authorization": "Basic " + base64.b64encode(raw).decode()})
    assert response.status_code == 200


def test_a_subset_of_scopes_can_be_asked(client, acme):
    response = _post(client, "grant_type=client_credentials&scope=products%3Aread", acme.basic())
    assert response.json["scope"] == "products:read"
    assert _claims(response.json["access_token"])[1]["scope"] == "products:read"


def test_each_token_is_recorded_without_the_token(client, acme, db):
    response = _post(client, "grant_type=client_credentials", {**acme.basic(), "X-Request-Id": "issue-record-1"})
    token = response.json["access_token"]
    jti = _claims(token)[1]["jti"]
    (row,) = db("SELECT client_id, scope, request_id, expires_at - issued_at FROM issued_tokens WHERE jti = %s",
                (jti,))
    assert row[:3] == (acme.client_id, "orders:write products:read", "issue-record-1")
    assert row[3].total_seconds() == 900
    dump = json.dumps(db("SELECT * FROM issued_tokens"), default=str)
    assert token not in dump and token.split(".")[2] not in dump


def test_lifetime_never_exceeds_the_maximum(isolated_app, make_client):
    from falcon import testing

    app, auth = isolated_app(token_ttl=120, token_max_ttl=120)
    api_client = make_client(["a:b"])
    response = _post(testing.TestClient(app), "grant_type=client_credentials", api_client.basic())
    claims = _claims(response.json["access_token"])[1]
    assert response.json["expires_in"] == 120 == claims["exp"] - claims["iat"]


def test_a_token_right_after_revoke_all_is_not_caught_by_it(client, acme, smn_auth):
    """iat is whole seconds; a token issued in the same second as a revoke-all must still work."""
    smn_auth.service.revoke_all(acme.client_id)
    assert smn_auth.state.sync()
    response = _post(client, "grant_type=client_credentials", acme.basic())
    token = response.json["access_token"]
    assert client.simulate_get("/v1/auth/whoami", headers=bearer(token)).status_code == 200


# -- errors, exactly RFC 6749 §5.2 -----------------------------------------------------------


def test_a_wrong_secret_is_invalid_client_with_a_basic_challenge(client, acme):
    wrong = base64.b64encode(f"{acme.client_id}:not-the-secret".encode()).decode()
    response = _post(client, "grant_type=client_credentials", {"Authorization": f"Basic {wrong}"})
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith('Basic realm="smn"')


@pytest.mark.parametrize("body", [
    "grant_type=client_credentials&client_id=smn_nosuchclient00000000&client_secret=whatever",
    "grant_type=client_credentials&client_id=../../etc&client_secret=whatever",
    "grant_type=client_credentials",
    "grant_type=client_credentials&client_id=smn_nosuchclient00000000",
])
def test_unknown_or_missing_credentials_are_invalid_client(client, body):
    assert_oauth_error(_post(client, body), 401, "invalid_client")


@pytest.mark.parametrize("value", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer x"])
def test_malformed_client_authentication_is_invalid_client(client, value):
    response = _post(client, "grant_type=client_credentials", {"Authorization": value})
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_two_authentication_methods_are_invalid_request(client, acme):
    assert_oauth_error(_post(client, _body_credentials(acme), acme.basic()), 400, "invalid_request")


@pytest.mark.parametrize("body, content_type", [
    ("", None),
    ("scope=products%3Aread", None),
    ("grant_type=client_credentials&grant_type=client_credentials", None),
    ("grant_type=%ff", None),
    ("grant_type", None),
    ("x" * 9000, None),
    ("{not json", "application/json"),
    ('["grant_type"]', "application/json"),
    ('{"grant_type": ["client_credentials"]}', "application/json"),
    ("[" * 5000, "application/json"),
    ('{"grant_type": 1e999}', "application/json"),
    ("grant_type=client_credentials", "text/plain"),
])
def test_malformed_requests_are_invalid_request(client, acme, body, content_type):
    response = _post(client, body, acme.basic(), content_type=content_type)
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("grant", ["password", "authorization_code", "refresh_token"])
def test_other_grants_are_unsupported_grant_type(client, acme, grant):
    assert_oauth_error(_post(client, f"grant_type={grant}", acme.basic()), 400, "unsupported_grant_type")


@pytest.mark.parametrize("scope", ["admin:all", "products:read+admin:all", "%22%3B", "+"])
def test_scopes_beyond_the_clients_are_invalid_scope(client, acme, scope):
    response = _post(client, f"grant_type=client_credentials&scope={scope}", acme.basic())
    assert_oauth_error(response, 400, "invalid_scope")


def test_a_disabled_client_is_unauthorized_client(client, acme, smn_auth):
    smn_auth.service.disable_client(acme.client_id)
    assert_oauth_error(_post(client, "grant_type=client_credentials", acme.basic()), 400, "unauthorized_client")


def test_refusals_are_logged_with_the_request_id_never_the_secret(client, acme, json_logs):
    wrong_secret = "definitely-wrong-secret-value-1234567890"
    _post(client, f"grant_type=client_credentials&client_id={acme.client_id}&client_secret={wrong_secret}",
          {"X-Request-Id": "refused-1"})
    (line,) = [line for line in json_logs.lines() if line["message"] == "oauth request refused"]
    assert line["request_id"] == "refused-1"
    assert line["oauth_error"] == "invalid_client" and line["client_id"] == acme.client_id
    assert wrong_secret not in json_logs.text and acme.secret not in json_logs.text


# -- throttling failed secrets ------------------------------------------------------------------


def test_repeated_failures_for_a_client_id_are_throttled_with_429(client, acme, settings):
    wrong = f"grant_type=client_credentials&client_id={acme.client_id}&client_secret=wrong"
    for attempt in range(settings.token_failure_limit):
        assert _post(client, wrong, remote_addr=f"10.1.0.{attempt}").status_code == 401
    # From yet another address, and even with the right secret: the client_id is locked for a while.
    response = _post(client, _body_credentials(acme), remote_addr="10.1.1.1")
    body = assert_oauth_error(response, 429, "slow_down")
    assert 1 <= int(response.headers["retry-after"]) <= settings.token_failure_window
    assert "retry" in body["error_description"]


def test_repeated_failures_from_an_address_are_throttled_for_any_client(client, make_client, settings):
    address = "10.2.0.1"
    for attempt in range(settings.token_failure_limit):
        body = f"grant_type=client_credentials&client_id=smn_guess{attempt:020d}&client_secret=x"
        assert _post(client, body, remote_addr=address).status_code == 401
    other = make_client(["a:b"])
    assert_oauth_error(_post(client, _body_credentials(other), remote_addr=address), 429, "slow_down")
    assert _post(client, _body_credentials(other), remote_addr="10.2.0.2").status_code == 200


def test_the_throttle_is_shared_by_every_worker(isolated_app, client, acme, settings):
    """Two apps with separate views (like two gunicorn workers) count failures in one table."""
    from falcon import testing

    other_worker = testing.TestClient(isolated_app()[0])
    wrong = f"grant_type=client_credentials&client_id={acme.client_id}&client_secret=wrong"
    for attempt in range(settings.token_failure_limit):
        worker = client if attempt % 2 else other_worker
        assert _post(worker, wrong, remote_addr=f"10.3.0.{attempt}").status_code == 401
    assert _post(other_worker, _body_credentials(acme), remote_addr="10.3.1.1").status_code == 429
    assert _post(client, _body_credentials(acme), remote_addr="10.3.1.2").status_code == 429


def test_the_window_slides(client, acme, settings, db):
    wrong = f"grant_type=client_credentials&client_id={acme.client_id}&client_secret=wrong"
    for attempt in range(settings.token_failure_limit):
        _post(client, wrong, remote_addr=f"10.4.0.{attempt}")
    assert _post(client, _body_credentials(acme), remote_addr="10.4.1.1").status_code == 429
    db("UPDATE auth_failures SET failed_at = failed_at - make_interval(secs => %s)", (settings.token_failure_window,))
    assert _post(client, _body_credentials(acme), remote_addr="10.4.1.1").status_code == 200


def test_a_database_outage_is_temporarily_unavailable_not_500(isolated_app, acme, monkeypatch):
    import psycopg2
    from falcon import testing

    app, auth = isolated_app()

    def down(*args, **kwargs):
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(auth.authenticator.throttle, "retry_after", down)
    response = _post(testing.TestClient(app), "grant_type=client_credentials", acme.basic())
    assert_oauth_error(response, 503, "temporarily_unavailable")
    assert response.headers["retry-after"]


def test_tokens_verify_with_the_published_key(client, acme):
    token = _post(client, "grant_type=client_credentials", acme.basic()).json["access_token"]
    jwks = client.simulate_get("/.well-known/jwks.json").json
    kid = _claims(token)[0]["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, key, algorithms=["EdDSA"], audience="smn-partners", issuer="smn")
    assert claims["sub"] == acme.client_id
