"""Revocation: every way to revoke, enforced by every process at once, with no database hit per request."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jwt
import psycopg2
import pytest
from falcon import testing

from smn.auth.state import LISTENER_APPLICATION_NAME
from tests.auth.helpers import claims_for, jti_of, sign, wait_until
from tests.fixtures.auth import bearer
from tests.helpers.database_use import count_database_use

ROOT = Path(__file__).resolve().parents[2]
WHOAMI = "/v1/auth/whoami"
REVOKE = "/v1/auth/revoke"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture()
def acme(make_client):
    return make_client(["products:read"])


@pytest.fixture()
def token(acme, token_for):
    return token_for(acme)


@pytest.fixture()
def second_worker(isolated_app):
    """Another process's view, as a second gunicorn worker would have it."""
    app, auth = isolated_app()
    return testing.TestClient(app), auth


def _status(client, token: str) -> int:
    return client.simulate_get(WHOAMI, headers=bearer(token)).status_code


def _refused_everywhere(smn_auth, client, second_worker, token: str) -> None:
    """The next call is refused by this process, and another process converges within a second."""
    assert smn_auth.state.sync()
    assert _status(client, token) == 401
    other_client, _ = second_worker
    elapsed = wait_until(lambda: _status(other_client, token) == 401, timeout=2)
    assert elapsed < 1.0


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"),
           "SMN_DATABASE_URL": settings.database_url, "SMN_SECRET_KEY": settings.secret_key}
    return subprocess.run([sys.executable, "-m", "smn", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)


# -- each way to revoke ------------------------------------------------------------------------


def test_rfc7009_endpoint_revokes_the_clients_own_token(client, smn_auth, second_worker, acme, token):
    assert _status(client, token) == 200 and _status(second_worker[0], token) == 200
    response = client.simulate_post(REVOKE, body=f"token={token}&token_type_hint=access_token",
                                    headers={**acme.basic(), **FORM})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    _refused_everywhere(smn_auth, client, second_worker, token)


def test_cli_token_revoke(client, smn_auth, second_worker, settings, token):
    assert _status(client, token) == 200
    result = _cli(settings, "token", "revoke", jti_of(token), "--reason", "leaked in a ticket")
    assert result.returncode == 0, result.stderr
    assert f"revoked: {jti_of(token)}" in result.stdout
    _refused_everywhere(smn_auth, client, second_worker, token)
    again = _cli(settings, "token", "revoke", jti_of(token))
    assert "already revoked" in again.stdout


def test_cli_client_revoke_all(client, smn_auth, second_worker, settings, acme, token, token_for):
    older = token_for(acme)
    assert _status(client, token) == 200 and _status(client, older) == 200
    result = _cli(settings, "client", "revoke-all", acme.client_id)
    assert result.returncode == 0, result.stderr
    _refused_everywhere(smn_auth, client, second_worker, token)
    assert _status(client, older) == 401
    assert _status(client, token_for(acme)) == 200, "a new token works again"


def test_cli_client_disable(client, smn_auth, second_worker, settings, acme, token):
    result = _cli(settings, "client", "disable", acme.name)
    assert result.returncode == 0, result.stderr
    _refused_everywhere(smn_auth, client, second_worker, token)


@pytest.mark.parametrize("way", ["revoke_token", "revoke_all", "disable_client"])
def test_service_api(client, smn_auth, second_worker, acme, token, way):
    assert _status(client, token) == 200
    target = jti_of(token) if way == "revoke_token" else acme.client_id
    getattr(smn_auth.service, way)(target)
    _refused_everywhere(smn_auth, client, second_worker, token)


def test_a_revocation_written_by_plain_sql_is_enforced(client, smn_auth, second_worker, db, acme, token):
    """Triggers notify whoever writes: psql, the admin UI, another host."""
    db("INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_by) "
       "VALUES (%s, %s, now() + interval '1 hour', 'psql')", (jti_of(token), acme.client_id))
    _refused_everywhere(smn_auth, client, second_worker, token)


# -- the RFC 7009 endpoint's other answers ---------------------------------------------------------


@pytest.mark.parametrize("candidate", ["garbage", "a.b.c", "", "x" * 5000])
def test_revoking_an_invalid_token_answers_200(client, acme, candidate):
    body = f"token={candidate}" if candidate else "token=%20"
    response = client.simulate_post(REVOKE, body=body, headers={**acme.basic(), **FORM})
    assert response.status_code == 200


def test_revoking_an_expired_token_answers_200(client, smn_auth, settings, acme):
    now = int(time.time())
    expired = sign(smn_auth, claims_for(settings, acme.client_id, iat=now - 900, exp=now - 300))
    response = client.simulate_post(REVOKE, body=f"token={expired}", headers={**acme.basic(), **FORM})
    assert response.status_code == 200


def test_a_client_cannot_revoke_another_clients_token(client, smn_auth, make_client, token, json_logs):
    intruder = make_client(["products:read"])
    response = client.simulate_post(REVOKE, body=f"token={token}", headers={**intruder.basic(), **FORM})
    assert response.status_code == 200
    assert smn_auth.state.sync()
    assert _status(client, token) == 200
    assert any(line["message"] == "revocation of another client's token ignored" for line in json_logs.lines())


def test_revocation_needs_client_authentication(client, token):
    response = client.simulate_post(REVOKE, body=f"token={token}", headers=FORM)
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert _status(client, token) == 200


def test_revocation_needs_the_token_parameter(client, acme):
    response = client.simulate_post(REVOKE, body="token_type_hint=access_token", headers={**acme.basic(), **FORM})
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


# -- the view stays true ---------------------------------------------------------------------------


def test_the_view_converges_after_its_listener_connection_is_killed(smn_auth, second_worker, db, token):
    other_client, other_auth = second_worker
    listener = other_auth.state.listener
    assert _status(other_client, token) == 200
    connections = listener.connections
    (row,) = db("SELECT pid, application_name FROM pg_stat_activity WHERE pid = %s", (listener.backend_pid,))
    assert row[1] == LISTENER_APPLICATION_NAME
    killed = listener.backend_pid
    assert db("SELECT pg_terminate_backend(%s)", (killed,)) == [(True,)]
    wait_until(lambda: not db("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (killed,)))
    smn_auth.service.revoke_token(jti_of(token), "after the kill", "pytest")
    elapsed = wait_until(lambda: _status(other_client, token) == 401, timeout=5)
    wait_until(lambda: listener.connections > connections and listener.backend_pid != killed)
    print(f"converged {elapsed * 1000:.0f} ms after the revocation that followed the kill")


def test_a_missed_notification_is_caught_by_the_periodic_resync(isolated_app, db, acme, token):
    app, auth = isolated_app(auth_resync_interval=1)
    worker = testing.TestClient(app)
    assert _status(worker, token) == 200
    conn = psycopg2.connect(auth.service.database.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")  # no trigger, so no NOTIFY
            cur.execute("INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_by) "
                        "VALUES (%s, %s, now() + interval '1 hour', 'silent')", (jti_of(token), acme.client_id))
    finally:
        conn.close()
    assert _status(worker, token) == 200, "no notification: not seen yet"
    wait_until(lambda: _status(worker, token) == 401, timeout=4)


def test_verifying_makes_no_database_query(isolated_app, token, monkeypatch):
    app, auth = isolated_app(auth_resync_interval=3600)
    worker = testing.TestClient(app)
    assert _status(worker, token) == 200
    listener = auth.state.listener
    resyncs = listener.resyncs
    request_thread = threading.get_ident()
    queries = count_database_use(monkeypatch, lambda: threading.get_ident() == request_thread)
    statuses = [_status(worker, token) for _ in range(100)]
    assert statuses == [200] * 100
    assert queries == []
    assert listener.resyncs == resyncs


def test_the_cache_skips_signatures_but_never_revocation(isolated_app, smn_auth, token, monkeypatch):
    app, auth = isolated_app()
    worker = testing.TestClient(app)
    assert _status(worker, token) == 200
    decoded = []
    original = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append(1) or original(*a, **k))
    assert [_status(worker, token) for _ in range(10)] == [200] * 10
    assert decoded == []
    smn_auth.service.revoke_token(jti_of(token), "cached", "pytest")
    assert auth.state.sync()
    assert _status(worker, token) == 401


def test_a_repeated_token_is_admitted_once_while_the_view_is_unchanged(isolated_app, token, monkeypatch):
    app, auth = isolated_app()
    worker = testing.TestClient(app)
    admitted = []
    original = auth.verifier.admit
    monkeypatch.setattr(auth.verifier, "admit", lambda *a: admitted.append(1) or original(*a))
    assert [_status(worker, token) for _ in range(10)] == [200] * 10
    assert admitted == [1]


def test_any_change_to_the_view_voids_admissions(isolated_app, smn_auth, acme, token, token_for):
    app, auth = isolated_app()
    worker = testing.TestClient(app)
    other = token_for(acme)
    assert _status(worker, token) == 200 and _status(worker, other) == 200
    smn_auth.service.revoke_token(jti_of(token), "admitted before", "pytest")
    assert auth.state.sync()
    assert _status(worker, token) == 401
    assert _status(worker, other) == 200
    smn_auth.service.disable_client(acme.client_id)
    assert auth.state.sync()
    assert _status(worker, other) == 401


def test_changes_that_cannot_refuse_an_admitted_token_keep_admissions(isolated_app, acme):
    import dataclasses

    _, auth = isolated_app()
    known = auth.state.client(acme.client_id)
    generation = auth.state.generation
    auth.state.learn_client(known)
    auth.state.learn_client(dataclasses.replace(known, client_id="smn_0000000000000000new"))
    auth.state.drop_revoked("never-revoked-0000001")
    auth.state.purge(time.time())
    assert auth.state.generation == generation
    auth.state.add_revoked("revoked-now-000000001", time.time() + 60)
    assert auth.state.generation == generation + 1


def test_an_admission_ends_when_its_key_retires(isolated_app, token, monkeypatch):
    import dataclasses

    import smn.auth.tokens as tokens

    app, auth = isolated_app()
    worker = testing.TestClient(app)
    kid = jwt.get_unverified_header(token)["kid"]
    keyset = auth.state.keyset
    retire_at = time.time() + 60
    retiring = dataclasses.replace(keyset.verifying[kid], retire_after=retire_at)
    auth.state.set_keyset(dataclasses.replace(keyset, verifying={**keyset.verifying, kid: retiring}))
    assert _status(worker, token) == 200
    monkeypatch.setattr(tokens, "time", type("Clock", (), {"time": staticmethod(lambda: retire_at + 1)}))
    assert _status(worker, token) == 401


def test_an_admission_ends_when_the_token_expires(isolated_app, token, monkeypatch):
    import smn.auth.tokens as tokens

    app, auth = isolated_app()
    worker = testing.TestClient(app)
    assert _status(worker, token) == 200
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    late = expires_at + auth.verifier.leeway + 1
    monkeypatch.setattr(tokens, "time", type("Clock", (), {"time": staticmethod(lambda: late)}))
    assert _status(worker, token) == 401


def test_expired_revocations_leave_memory_and_later_the_table(isolated_app, db, acme):
    app, auth = isolated_app(auth_resync_interval=1)
    db("INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_by) VALUES "
       "('old-revocation-000001', %s, now() - interval '2 hours', 'pytest'), "
       "('live-revocation-00001', %s, now() + interval '1 hour', 'pytest')", (acme.client_id, acme.client_id))
    assert auth.state.sync()
    assert auth.state.is_revoked("live-revocation-00001")
    wait_until(lambda: not db("SELECT 1 FROM revoked_tokens WHERE jti = 'old-revocation-000001'"), timeout=4)
    assert not auth.state.is_revoked("old-revocation-000001")
    auth.state.add_revoked("gone-000000000000001", time.time() - 120)
    auth.state.purge(time.time())
    assert not auth.state.is_revoked("gone-000000000000001")
    assert auth.state.is_revoked("live-revocation-00001")
