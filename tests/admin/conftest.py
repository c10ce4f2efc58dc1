"""Admin fixtures: an admin user in the test database, and a logged-in JSON API session."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest
from falcon import testing

from smn.admin.users import AdminUserStore

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


@dataclass
class AdminSession:
    """A logged-in admin for the JSON API: cookie + X-CSRF-Token on every call."""

    client: testing.TestClient
    username: str
    cookie: str
    csrf: str

    def headers(self, csrf: bool = True) -> dict[str, str]:
        headers = {"Cookie": f"smn_admin={self.cookie}"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return headers

    def get(self, path: str, **kwargs):
        return self.client.simulate_get(path, headers=self.headers(), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.simulate_post(path, headers=self.headers(), json=json, **kwargs)

    def patch(self, path: str, json=None):
        return self.client.simulate_patch(path, headers=self.headers(), json=json)


@pytest.fixture()
def admin_user(services) -> str:
    username = f"ops-{os.getpid()}-{next(_names)}"
    AdminUserStore(services.database).create(username, PASSWORD)
    return username


@pytest.fixture()
def admin(client, admin_user, smn_auth) -> AdminSession:
    result = client.simulate_post("/admin/api/session", json={"username": admin_user, "password": PASSWORD})
    assert result.status_code == 200, result.text
    return AdminSession(client, admin_user, result.cookies["smn_admin"].value, result.json["csrf_token"])


@pytest.fixture(scope="session", autouse=True)
def _builder_registry_closed(services):
    """Stop this process's builder listener before the session database is dropped."""
    yield
    if services.admin is not None:
        services.admin.registry.close()


@pytest.fixture(autouse=True)
def _built_endpoints_removed(request):
    """Each test starts and ends with no live built endpoint (other packages' route-vs-docs checks stay exact)."""
    yield
    if "services" in request.fixturenames or "app" in request.fixturenames or "client" in request.fixturenames:
        services = request.getfixturevalue("services")
        services.database.execute("DELETE FROM builder_endpoints")
        if services.admin is not None:
            services.admin.registry.reload()
