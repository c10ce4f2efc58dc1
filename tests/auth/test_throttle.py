"""FailureThrottle: one sliding window of failures per identity and address, for partner secrets and admin logins."""
from __future__ import annotations

import uuid

import pytest

from smn.admin.sessions import login_throttle
from smn.auth.throttle import FailureThrottle
from smn.db import Database


@pytest.fixture()
def database(database_url):
    db = Database(database_url, max_connections=2)
    yield db
    db.close()


@pytest.mark.parametrize("make", [
    lambda db: FailureThrottle(db, 3, 60),
    lambda db: login_throttle(db, 3, 60),
], ids=["auth_failures", "admin_login_failures"])
def test_the_limit_counts_per_identity_and_per_address(database, make):
    throttle = make(database)
    identity, address = f"id_{uuid.uuid4().hex[:12]}", f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for _ in range(3):
        assert throttle.retry_after(identity, "192.0.2.1") is None
        throttle.record(identity, "192.0.2.1")
    assert 1 <= throttle.retry_after(identity, "192.0.2.77") <= 60, "the identity is throttled from any address"
    for number in range(3):
        throttle.record(f"other_{number}_{identity}", address)
    assert throttle.retry_after(f"fresh_{identity}", address) is not None, "the address is throttled for anyone"


@pytest.mark.parametrize("table, make", [
    ("auth_failures", lambda db: FailureThrottle(db, 3, 60)),
    ("admin_login_failures", lambda db: login_throttle(db, 3, 60)),
])
def test_recording_a_failure_drops_those_that_left_the_window(database, table, make):
    throttle = make(database)
    database.execute(f"INSERT INTO {table} (remote_addr, failed_at) VALUES ('192.0.2.200', now() - interval '2 hours')")
    throttle.record(None, "192.0.2.201")
    assert database.fetch_one(f"SELECT count(*) FROM {table} WHERE failed_at < now() - interval '1 hour'")[0] == 0
