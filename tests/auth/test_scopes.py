"""check_scopes: the one scope check behind @requires_scope and the built endpoints."""
from __future__ import annotations

from types import SimpleNamespace

import falcon
import pytest

from smn.auth.scopes import check_scopes, requires_scope
from smn.errors import Problem


def request(scopes: set[str] | None) -> SimpleNamespace:
    principal = None if scopes is None else SimpleNamespace(scopes=frozenset(scopes))
    return SimpleNamespace(context=SimpleNamespace(auth=principal))


def test_without_a_token_it_is_401_with_a_bare_challenge():
    with pytest.raises(Problem) as caught:
        check_scopes(request(None), ("orders:read",), "orders:read")
    assert caught.value.status_code == 401 and caught.value.slug == "missing-token"
    assert caught.value.headers["WWW-Authenticate"] == 'Bearer realm="smn"'


def test_a_missing_scope_is_403_naming_every_required_scope():
    with pytest.raises(Problem) as caught:
        check_scopes(request({"orders:read"}), frozenset({"orders:read", "orders:write"}), "orders:read orders:write")
    problem = caught.value
    assert problem.status_code == 403 and problem.slug == "insufficient-scope"
    assert problem.extra == {"required_scope": "orders:read orders:write"}
    assert problem.headers["WWW-Authenticate"] == \
        'Bearer realm="smn", error="insufficient_scope", scope="orders:read orders:write"'


def test_every_needed_scope_present_passes_for_any_collection():
    token = request({"orders:read", "orders:write", "products:read"})
    assert check_scopes(token, ("orders:read",), "orders:read") is None
    assert check_scopes(token, frozenset({"orders:read", "orders:write"}), "orders:read orders:write") is None


def test_requires_scope_uses_the_same_check():
    class Resource:
        @requires_scope("orders:read", "orders:write")
        def on_get(self, req, resp) -> None:
            resp.text = "ok"

    assert Resource.on_get.required_scope == "orders:read orders:write"
    resp = falcon.Response()
    with pytest.raises(Problem) as caught:
        Resource().on_get(request({"orders:read"}), resp)
    assert caught.value.extra == {"required_scope": "orders:read orders:write"}
    Resource().on_get(request({"orders:read", "orders:write"}), resp)
    assert resp.text == "ok"
