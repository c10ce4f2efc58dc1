"""Client secrets, tokens and key material never reach a log line, whatever happens."""
from __future__ import annotations

import base64
import json
import stat

from cryptography.hazmat.primitives import serialization

from smn.stack import embedded_secret_key
from tests.auth.helpers import jti_of
from tests.fixtures.auth import bearer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _key_material(smn_auth) -> list[str]:
    signer = smn_auth.state.keyset.signing.signer
    raw = signer.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
    der = signer.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    return [base64.urlsafe_b64encode(raw).decode().rstrip("="), base64.b64encode(der).decode(), raw.hex()]


def test_a_whole_session_logs_no_secret(client, smn_auth, settings, make_client, json_logs):
    acme = make_client(["products:read"])
    by_basic = client.simulate_post("/v1/auth/token", body="grant_type=client_credentials",
                                    headers={**acme.basic(), **FORM}).json["access_token"]
    by_body = client.simulate_post(
        "/v1/auth/token", headers=FORM,
        body=f"grant_type=client_credentials&client_id={acme.client_id}&client_secret={acme.secret}",
    ).json["access_token"]
    wrong = "an-attempted-but-wrong-secret-0123456789"
    client.simulate_post("/v1/auth/token", headers=FORM,
                         body=f"grant_type=client_credentials&client_id={acme.client_id}&client_secret={wrong}")
    client.simulate_get("/v1/auth/whoami", headers=bearer(by_basic))
    client.simulate_post("/v1/auth/revoke", body=f"token={by_body}", headers={**acme.basic(), **FORM})
    assert smn_auth.state.sync()
    client.simulate_get("/v1/auth/whoami", headers=bearer(by_body))
    client.simulate_get("/v1/auth/whoami", headers=bearer(by_basic[:-4] + "AAAA"))
    client.simulate_get(f"/v1/auth/whoami?access_token={by_basic}")

    text = json_logs.text
    messages = [line["message"] for line in json_logs.lines()]
    assert "token issued" in messages and "token revoked" in messages and "access token rejected" in messages
    assert jti_of(by_body) in text, "the jti is what ops need, and it is not a secret"
    secrets = [acme.secret, wrong, by_basic, by_body, settings.secret_key, *_key_material(smn_auth)]
    secrets += [token.split(".")[2] for token in (by_basic, by_body)]
    for secret in secrets:
        assert secret not in text


def test_embedded_secret_key_is_generated_once_0600_and_logged_by_path_only(tmp_path, json_logs):
    first = embedded_secret_key(tmp_path)
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 43
    assert embedded_secret_key(tmp_path) == first
    lines = json_logs.lines()
    assert [line["level"] for line in lines] == ["WARNING", "INFO"]
    assert all(line["path"] == str(path) for line in lines)
    assert first not in json_logs.text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_a_loose_secret_key_file_is_tightened(tmp_path, json_logs):
    embedded_secret_key(tmp_path)
    (tmp_path / "secret_key").chmod(0o644)
    embedded_secret_key(tmp_path)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert any("now 0600" in line["message"] for line in json_logs.lines())


def test_problem_bodies_carry_no_token(client, make_client, token_for):
    token = token_for(make_client(["a:b"]))
    tampered = token[:-6] + "AAAAAA"
    response = client.simulate_get("/v1/auth/whoami", headers=bearer(tampered))
    assert response.status_code == 401
    assert token.split(".")[1] not in json.dumps(response.json) + json.dumps(dict(response.headers))
