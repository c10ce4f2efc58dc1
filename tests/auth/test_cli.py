"""`smn client`, `smn token`, `smn key` as an operator runs them; a secret is printed once and only once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.fixtures.auth import ApiClient, bearer

ROOT = Path(__file__).resolve().parents[2]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def smn(settings, *args: str, secret_key: str | None = "settings") -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
           "SMN_DATABASE_URL": settings.database_url}
    if secret_key:
        env["SMN_SECRET_KEY"] = settings.secret_key if secret_key == "settings" else secret_key
    return subprocess.run([sys.executable, "-m", "smn", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def _token(client, api_client: ApiClient):
    return client.simulate_post("/v1/auth/token", body="grant_type=client_credentials",
                                headers={**api_client.basic(), **FORM})


@pytest.fixture()
def created(settings, smn_auth):
    result = smn(settings, "client", "create", "--name", f"cli-acme-{os.getpid()}-{os.urandom(3).hex()}",
                 "--scopes", "products:read,orders:write", "--contact", "ops@acme.example", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert smn_auth.state.sync()
    return document, result


def test_client_create_prints_the_id_and_secret_once(client, created):
    document, result = created
    assert document["scopes"] == ["orders:write", "products:read"]
    assert document["contact"] == "ops@acme.example" and document["active"] is True
    api_client = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    response = _token(client, api_client)
    assert response.status_code == 200
    assert response.json["scope"] == "orders:write products:read"
    assert document["client_secret"] not in result.stderr


def test_client_create_text_output(settings):
    result = smn(settings, "client", "create", "--name", f"cli-text-{os.urandom(4).hex()}", "--scopes", "a:b")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines()[:4])
    assert lines["client_id"].startswith("smn_") and len(lines["client_secret"]) >= 43
    assert "shown this once" in result.stdout


def test_no_other_command_prints_a_secret_or_a_hash(settings, created, client, smn_auth):
    document, _ = created
    api_client = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    token = _token(client, api_client).json["access_token"]
    (secret_hash,) = smn_auth.service.database.fetch_one(
        "SELECT secret_hash FROM api_clients WHERE client_id = %s", (document["client_id"],))
    outputs = []
    for args in (["client", "list"], ["client", "list", "--json"], ["client", "disable", document["client_id"]],
                 ["client", "enable", document["name"]], ["client", "revoke-all", document["client_id"]],
                 ["token", "list", "--client", document["client_id"]], ["token", "list", "--json"],
                 ["key", "list"], ["key", "list", "--json"]):
        result = smn(settings, *args)
        assert result.returncode == 0, (args, result.stderr)
        outputs.append(result.stdout + result.stderr)
    everything = "\n".join(outputs)
    assert document["client_id"] in everything
    for secret in (document["client_secret"], secret_hash, token, token.split(".")[2], settings.secret_key):
        assert secret not in everything
    assert "scrypt$" not in everything


def test_rotate_secret_prints_a_new_secret_and_the_old_one_stops_working(settings, created, client):
    document, _ = created
    old = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    result = smn(settings, "client", "rotate-secret", document["client_id"], "--json")
    assert result.returncode == 0, result.stderr
    new_secret = json.loads(result.stdout)["client_secret"]
    assert new_secret != old.secret
    assert _token(client, old).status_code == 401
    assert _token(client, ApiClient(old.client_id, new_secret, old.name, ())).status_code == 200


def test_rotate_secret_can_revoke_live_tokens(settings, created, client, smn_auth):
    document, _ = created
    api_client = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    token = _token(client, api_client).json["access_token"]
    result = smn(settings, "client", "rotate-secret", document["name"], "--revoke-tokens")
    assert result.returncode == 0, result.stderr
    assert smn_auth.state.sync()
    assert client.simulate_get("/v1/auth/whoami", headers=bearer(token)).status_code == 401


def test_token_list_shows_jti_status_never_the_token(settings, created, client):
    document, _ = created
    api_client = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    token = _token(client, api_client).json["access_token"]
    result = smn(settings, "token", "list", "--client", document["client_id"], "--active", "--json")
    rows = json.loads(result.stdout)
    assert [row["status"] for row in rows] == ["active"]
    assert rows[0]["scope"] == "orders:write products:read"
    assert token not in result.stdout


def test_key_rotate_and_list(settings, smn_auth, restore_eddsa_after_cli):
    before = smn_auth.state.keyset.signing.kid
    result = smn(settings, "key", "rotate", "--json")
    assert result.returncode == 0, result.stderr
    new_kid = json.loads(result.stdout)["kid"]
    listing = {row["kid"]: row for row in json.loads(smn(settings, "key", "list", "--json").stdout)}
    assert listing[new_kid]["status"] == "active"
    assert listing[before]["status"] == "verifying" and listing[before]["retire_after"] != "-"
    assert smn_auth.state.sync()
    assert smn_auth.state.keyset.signing.kid == new_kid


def test_client_set_callback_stores_and_clears_the_url(settings, smn_auth, created):
    document, _ = created
    result = smn(settings, "client", "set-callback", document["name"], "https://partner.example/hooks", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["client_id"] == document["client_id"] and answer["signing_secret"]
    assert smn_auth.service.get_client(document["client_id"]).callback_url == "https://partner.example/hooks"
    cleared = smn(settings, "client", "set-callback", document["client_id"], "", "--json")
    assert cleared.returncode == 0 and json.loads(cleared.stdout)["signing_secret"] is None
    assert smn_auth.service.get_client(document["client_id"]).callback_url is None


@pytest.fixture()
def restore_eddsa_after_cli(smn_auth):
    yield
    smn_auth.service.rotate_key("EdDSA")
    assert smn_auth.state.sync()


@pytest.mark.parametrize("args, message", [
    (["client", "disable", "no-such-client"], "no API client has the client_id or name 'no-such-client'"),
    (["token", "revoke", "no-such-jti"], "no token was issued with jti 'no-such-jti'"),
    (["client", "set-callback", "no-such-client", "https://partner.example/hooks"],
     "no API client has the client_id or name 'no-such-client'"),
    (["client", "create", "--name", "bad-scopes", "--scopes", "a b;c"], "invalid scope"),
])
def test_mistakes_are_one_line_errors(settings, args, message):
    result = smn(settings, *args)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_duplicate_name_is_refused_cleanly(settings, created):
    document, _ = created
    result = smn(settings, "client", "create", "--name", document["name"])
    assert result.returncode == 1 and "refused by the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_configured_database_without_secret_key_is_refused_in_one_line(settings):
    result = smn(settings, "client", "list", secret_key=None)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("smn: configuration error: SMN_SECRET_KEY: required")
    assert "Traceback" not in result.stderr


def test_a_short_secret_key_is_refused(settings):
    result = smn(settings, "key", "list", secret_key="too-short")
    assert result.returncode == 2
    assert "SMN_SECRET_KEY: must be at least 32 bytes" in result.stderr


def test_generated_ids_never_start_with_a_dash(monkeypatch):
    from smn.auth import crypto

    drawn = iter(["-starts-like-an-option", "_fine", "-again", "Ok-value"])
    monkeypatch.setattr(crypto.secrets, "token_urlsafe", lambda nbytes: next(drawn))
    assert crypto.cli_safe_token(24) == "_fine"
    assert crypto.new_kid() == "Ok-value"


def test_token_revoke_takes_a_jti_that_starts_with_a_dash_after_double_dash(settings, created, client, smn_auth):
    document, _ = created
    api_client = ApiClient(document["client_id"], document["client_secret"], document["name"], ())
    assert _token(client, api_client).status_code == 200
    (row,) = json.loads(smn(settings, "token", "list", "--client", document["client_id"], "--json").stdout)
    dashed = "-" + row["jti"][1:]
    with psycopg2.connect(settings.database_url) as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE issued_tokens SET jti = %s WHERE jti = %s", (dashed, row["jti"]))
    connection.close()
    refused = smn(settings, "token", "revoke", dashed)
    assert refused.returncode == 2 and "required: jti" in refused.stderr
    result = smn(settings, "token", "revoke", "--reason", "pasted from a ticket", "--", dashed)
    assert result.returncode == 0, result.stderr
    assert f"revoked: {dashed}" in result.stdout
