"""ClientStore.set_limits: callback URL, rate and burst (and scopes) in one UPDATE that every process hears of."""
from __future__ import annotations

import pytest

from smn.auth.clients import ClientStore, UnknownClient
from smn.auth.scopes import InvalidScope


@pytest.fixture()
def store(services) -> ClientStore:
    return ClientStore(services.database)


def test_set_limits_stores_the_values_and_the_auth_view_hears_of_them(store, make_client, smn_auth):
    acme = make_client(["products:read"])
    before = store.get(acme.client_id)
    info = store.set_limits(acme.client_id, {"callback_url": "https://p.example/cb", "rate_per_second": 2.5, "burst": 4})
    assert (info.callback_url, info.record.rate_per_second, info.record.burst) == ("https://p.example/cb", 2.5, 4)
    assert info.scopes == frozenset({"products:read"}) and info.updated_at > before.updated_at
    assert store.get(acme.client_id) == info
    assert smn_auth.state.sync()
    record = smn_auth.state.client(acme.client_id)
    assert (record.rate_per_second, record.burst) == (2.5, 4)


def test_set_limits_with_none_clears_them(store, make_client):
    acme = make_client(["products:read"], callback_url="https://p.example/cb", rate_per_second=5, burst=10)
    info = store.set_limits(acme.name, {"callback_url": None, "rate_per_second": None, "burst": None})
    assert info.client_id == acme.client_id
    assert (info.callback_url, info.record.rate_per_second, info.record.burst) == (None, None, None)


def test_set_limits_sets_the_scopes_too_when_given(store, make_client):
    acme = make_client(["products:read"])
    info = store.set_limits(acme.client_id, {"rate_per_second": 1.0, "burst": 2}, scopes="partners:read orders:write")
    assert info.scopes == frozenset({"partners:read", "orders:write"}) and info.record.burst == 2


def test_set_limits_of_an_unknown_client_raises(store):
    with pytest.raises(UnknownClient):
        store.set_limits("nobody", {"burst": 1})


def test_a_bad_scope_changes_nothing(store, make_client):
    acme = make_client(["products:read"], burst=10)
    with pytest.raises(InvalidScope):
        store.set_limits(acme.client_id, {"burst": 3}, scopes="bad scope!")
    assert store.get(acme.client_id).record.burst == 10


def test_members_left_out_keep_their_value(store, make_client):
    acme = make_client(["products:read"], callback_url="https://p.example/cb", rate_per_second=5, burst=10)
    info = store.set_limits(acme.client_id, {"burst": 20})
    assert (info.callback_url, info.record.rate_per_second, info.record.burst) == ("https://p.example/cb", 5, 20)
    assert store.set_limits(acme.client_id, {}) == info


def test_only_limit_columns_can_be_set(store, make_client):
    acme = make_client(["products:read"])
    with pytest.raises(ValueError, match="not a client limit: active"):
        store.set_limits(acme.client_id, {"active": False})
