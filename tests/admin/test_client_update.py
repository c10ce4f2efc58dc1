"""PATCH /admin/api/clients/{id}: the limits and scopes in one UPDATE through ClientStore, then one audit row."""
from __future__ import annotations

import threading

from tests.helpers.database_use import count_database_use

STATEMENTS = ("fetch_one", "fetch_all", "execute")


def patch_counting_statements(admin, monkeypatch, client_id: str, body: dict) -> tuple[object, list[str]]:
    """The response, and the database statements the request's own thread ran for it."""
    thread = threading.get_ident()
    used = count_database_use(monkeypatch, lambda: threading.get_ident() == thread)
    result = admin.patch(f"/admin/api/clients/{client_id}", json=body)
    statements = [name for name in used if name in STATEMENTS]
    monkeypatch.undo()
    return result, statements


def test_a_limits_patch_is_one_update_and_one_audit_row(admin, make_client, smn_auth, monkeypatch):
    """Session lookup, UPDATE ... RETURNING, audit INSERT: 3 statements (6 before ClientStore.set_limits)."""
    acme = make_client(["products:read"], rate_per_second=5, burst=10)
    result, statements = patch_counting_statements(admin, monkeypatch, acme.client_id, {
        "callback_url": "https://p.example/cb", "rate_per_second": 2.5, "burst": 4})
    assert result.status_code == 200, result.text
    assert (result.json["callback_url"], result.json["rate_per_second"], result.json["burst"]) == (
        "https://p.example/cb", 2.5, 4)
    assert statements == ["fetch_one", "fetch_one", "execute"]
    assert smn_auth.state.sync()
    record = smn_auth.state.client(acme.client_id)
    assert (record.rate_per_second, record.burst) == (2.5, 4)


def test_a_partial_limits_patch_changes_only_what_it_sends(admin, make_client, monkeypatch):
    """Only burst sent: the UPDATE sets burst alone, no read first; 3 statements (6 before)."""
    acme = make_client(["products:read"], rate_per_second=5, burst=10, callback_url="https://p.example/cb")
    result, statements = patch_counting_statements(admin, monkeypatch, acme.client_id, {"burst": 20})
    assert result.status_code == 200, result.text
    assert (result.json["callback_url"], result.json["rate_per_second"], result.json["burst"]) == (
        "https://p.example/cb", 5, 20)
    assert statements == ["fetch_one", "fetch_one", "execute"]


def test_scopes_and_limits_together_change_both(admin, make_client, smn_auth, monkeypatch):
    acme = make_client(["products:read"])
    result, statements = patch_counting_statements(admin, monkeypatch, acme.client_id, {
        "scopes": "partners:read", "callback_url": None, "rate_per_second": 1, "burst": 2})
    assert result.status_code == 200, result.text
    assert result.json["scopes"] == ["partners:read"] and result.json["burst"] == 2
    assert len(statements) == 3
    assert smn_auth.state.sync()
    assert smn_auth.state.client(acme.client_id).scopes == frozenset({"partners:read"})


def test_null_clears_a_limit_and_the_audit_row_names_the_values(admin, make_client, services):
    acme = make_client(["products:read"], rate_per_second=5, burst=10, callback_url="https://p.example/cb")
    result = admin.patch(f"/admin/api/clients/{acme.client_id}", json={"callback_url": None})
    assert result.status_code == 200, result.text
    assert (result.json["callback_url"], result.json["rate_per_second"], result.json["burst"]) == (None, 5, 10)
    details = services.database.fetch_one(
        "SELECT details FROM admin_audit WHERE actor = %s AND action = 'client.update' ORDER BY id DESC LIMIT 1",
        (admin.username,))[0]
    assert details == {"callback_url": None, "rate_per_second": 5, "burst": 10}


def test_an_unknown_client_is_404_before_a_bad_scope_is_422(admin):
    for body in ({"scopes": "bad scope!"}, {"scopes": "bad scope!", "callback_url": None, "rate_per_second": None,
                                              "burst": None}):
        result = admin.patch("/admin/api/clients/nobody", json=body)
        assert result.status_code == 404, (body, result.text)


def test_a_bad_scope_of_a_known_client_is_422_and_changes_nothing(admin, make_client):
    acme = make_client(["products:read"], burst=10)
    result = admin.patch(f"/admin/api/clients/{acme.client_id}", json={"scopes": "bad scope!", "burst": 3})
    assert result.status_code == 422 and result.json["errors"][0]["field"] == "scopes"
    assert admin.get(f"/admin/api/clients/{acme.client_id}").json["burst"] == 10
