"""Fixtures for the auth tests: raw SQL, and apps with an auth view of their own."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from smn.app import Services, create_app
from smn.auth.runtime import build_auth
from smn.db import Database
from tests.auth.helpers import sql


@pytest.fixture(autouse=True)
def _no_failures_carried_over(database_url):
    """Failed authentications live 5 minutes in the table; one test's must not throttle the next."""
    sql(database_url, "DELETE FROM auth_failures")
    yield


@pytest.fixture()
def db(database_url) -> Callable[..., list[tuple]]:
    return lambda statement, params=None: sql(database_url, statement, params)


@pytest.fixture()
def isolated_app(settings, services):
    """isolated_app(**setting_overrides) -> (app, auth): its own view and listener, closed afterwards."""
    built = []

    def build(**overrides: Any):
        own_settings = settings.replace(**overrides)
        database = Database(own_settings.database_url, 4)
        auth = build_auth(own_settings, database)
        app = create_app(own_settings, Services(settings=own_settings, database=database, odoo=services.odoo,
                                                auth=auth))
        built.append((auth, database))
        auth.state.ensure_started()
        assert auth.state.wait_ready(10)
        return app, auth

    yield build
    for auth, database in built:
        auth.close()
        database.close()

