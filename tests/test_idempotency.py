"""IdempotencyStore against a real PostgreSQL: claims, replays, conflicts, expiry, takeover."""
from __future__ import annotations

import threading
import time
import uuid
from typing import Iterator

import pytest

from smn.auth.runtime import build_auth
from smn.db import Database
from smn.errors import Problem
from smn.idempotency import IdempotencyStore, Reply, fingerprint, record_write, valid_key
from smn.odoo.errors import OdooUnavailable, OdooUserError
from tests.auth.helpers import wait_until


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url, max_connections=8)
    yield db
    db.close()


@pytest.fixture()
def store(database: Database) -> IdempotencyStore:
    return IdempotencyStore(database, ttl=3600, wait=2, lease=60)


def _key() -> str:
    return f"key-{uuid.uuid4()}"


class Counter:
    def __init__(self, reply: Reply | None = None, delay: float = 0.0) -> None:
        self.runs = 0
        self.reply = reply or Reply(201, b'{"id":1}', "application/json", {"Location": "/v1/orders/1"})
        self.delay = delay

    def __call__(self) -> Reply:
        self.runs += 1
        time.sleep(self.delay)
        record_write()
        return self.reply


def test_same_key_and_request_replays_without_running_again(store: IdempotencyStore) -> None:
    key, action = _key(), Counter()
    first, replayed_first = store.run("client-a", key, "h1", action)
    second, replayed_second = store.run("client-a", key, "h1", action)
    assert action.runs == 1
    assert (replayed_first, replayed_second) == (False, True)
    assert second == first and second.headers == {"Location": "/v1/orders/1"}


def test_keys_belong_to_one_client(store: IdempotencyStore) -> None:
    key, action = _key(), Counter()
    store.run("client-a", key, "h1", action)
    store.run("client-b", key, "h1", action)
    assert action.runs == 2


def test_same_key_with_another_request_is_rejected(store: IdempotencyStore) -> None:
    key = _key()
    store.run("client-a", key, "h1", Counter())
    with pytest.raises(Problem) as caught:
        store.run("client-a", key, "h2", Counter())
    assert caught.value.status_code == 422 and caught.value.slug == "idempotency-key-reused"


def test_concurrent_duplicates_run_once_and_share_the_answer(store: IdempotencyStore) -> None:
    key, action = _key(), Counter(delay=0.3)
    barrier = threading.Barrier(4)
    results: list[tuple[Reply, bool]] = []

    def call() -> None:
        barrier.wait()
        results.append(store.run("client-a", key, "h1", action))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert action.runs == 1
    assert len(results) == 4 and sorted(replayed for _, replayed in results) == [False, True, True, True]
    assert len({reply.body for reply, _ in results}) == 1


def test_a_waiter_gives_up_with_409_after_the_bounded_wait(database: Database) -> None:
    slow = IdempotencyStore(database, ttl=3600, wait=5, lease=60)
    impatient = IdempotencyStore(database, ttl=3600, wait=1, lease=60)
    key, action = _key(), Counter(delay=2.0)
    worker = threading.Thread(target=lambda: slow.run("client-a", key, "h1", action))
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(Problem) as caught:
        impatient.run("client-a", key, "h1", Counter())
    assert caught.value.status_code == 409 and caught.value.headers["Retry-After"]
    assert 0.9 < time.monotonic() - started < 1.8
    worker.join(10)
    assert action.runs == 1


def test_client_errors_are_stored_and_replayed(store: IdempotencyStore) -> None:
    key = _key()

    def refuse() -> Reply:
        raise OdooUserError("Stock too low")

    with pytest.raises(Problem) as caught:
        store.run("client-a", key, "h1", refuse)
    assert caught.value.status_code == 422
    action = Counter()
    reply, replayed = store.run("client-a", key, "h1", action)
    assert replayed and action.runs == 0
    assert reply.status == 422 and b"Stock too low" in reply.body
    assert reply.content_type == "application/problem+json"


def test_a_5xx_before_any_write_releases_the_key(store: IdempotencyStore) -> None:
    key = _key()

    def down() -> Reply:
        raise OdooUnavailable("connection refused")

    with pytest.raises(Problem) as caught:
        store.run("client-a", key, "h1", down)
    assert caught.value.status_code == 503
    action = Counter()
    reply, replayed = store.run("client-a", key, "h1", action)
    assert action.runs == 1 and not replayed and reply.status == 201


def test_a_5xx_after_a_write_is_kept_so_a_retry_cannot_write_twice(store: IdempotencyStore) -> None:
    key = _key()

    def half_done() -> Reply:
        record_write()
        raise OdooUnavailable("read timeout")

    with pytest.raises(Problem):
        store.run("client-a", key, "h1", half_done)
    action = Counter()
    reply, replayed = store.run("client-a", key, "h1", action)
    assert action.runs == 0 and replayed and reply.status == 503


def test_an_unexpected_error_before_a_write_releases_the_key(store: IdempotencyStore) -> None:
    key = _key()

    def bug() -> Reply:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        store.run("client-a", key, "h1", bug)
    assert store.run("client-a", key, "h1", Counter())[1] is False


def test_expired_keys_run_again(database: Database) -> None:
    store = IdempotencyStore(database, ttl=60, wait=1, lease=60)
    key, action = _key(), Counter()
    store.run("client-a", key, "h1", action)
    database.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = %s", (key,))
    reply, replayed = store.run("client-a", key, "h2", action)
    assert action.runs == 2 and not replayed


def test_an_abandoned_claim_is_taken_over_after_its_lease(database: Database) -> None:
    store = IdempotencyStore(database, ttl=3600, wait=1, lease=60)
    key = _key()
    database.execute(
        """INSERT INTO idempotency_keys (client_id, key, request_hash, owner, locked_until, expires_at)
           VALUES ('client-a', %s, 'h1', %s, now() - interval '1 second', now() + interval '1 hour')""",
        (key, str(uuid.uuid4())))
    action = Counter()
    reply, replayed = store.run("client-a", key, "h1", action)
    assert action.runs == 1 and not replayed


def _insert_expired(database: Database, key: str) -> None:
    database.execute(
        """INSERT INTO idempotency_keys (client_id, key, request_hash, owner, locked_until, expires_at)
           VALUES ('client-purge', %s, 'h1', %s, now() - interval '2 hours', now() - interval '1 hour')""",
        (key, str(uuid.uuid4())))


def _key_exists(database: Database, key: str) -> bool:
    return database.fetch_one("SELECT 1 FROM idempotency_keys WHERE key = %s", (key,)) is not None


def test_a_partner_request_never_purges_expired_keys(database: Database, monkeypatch) -> None:
    statements: list[str] = []
    for name in ("execute", "fetch_one"):
        original = getattr(database, name)
        monkeypatch.setattr(database, name, lambda sql, params=None, original=original:
                            statements.append(sql) or original(sql, params))
    store = IdempotencyStore(database, ttl=3600, wait=1, lease=60)
    for _ in range(3):
        store.run("client-a", _key(), "h1", Counter())
    assert statements and not [sql for sql in statements if "DELETE" in sql]


def test_auth_housekeeping_purges_expired_keys_and_old_failures(settings, database: Database) -> None:
    expired, live = _key(), _key()
    _insert_expired(database, expired)
    IdempotencyStore(database, ttl=3600, wait=1, lease=60).run("client-purge", live, "h1", Counter())
    address = f"198.51.100.{uuid.uuid4().int % 250}"
    database.execute("INSERT INTO auth_failures (remote_addr, failed_at) VALUES (%s, now() - interval '2 hours')",
                     (address,))
    own = Database(settings.database_url, max_connections=2)
    auth = build_auth(settings, own)
    try:
        auth.state.ensure_started()  # its first load runs the housekeeping
        assert auth.state.wait_ready(10)
        wait_until(lambda: not _key_exists(database, expired), timeout=5)
        wait_until(lambda: database.fetch_one("SELECT 1 FROM auth_failures WHERE remote_addr = %s",
                                              (address,)) is None, timeout=5)
    finally:
        auth.close()
        own.close()
    assert _key_exists(database, live)


class _DeletingCursor:
    """Stands for the housekeeping cursor: each DELETE removes what is left, `batch` rows at most."""

    def __init__(self, expired: int) -> None:
        self.expired = expired
        self.statements = 0
        self.rowcount = -1

    def execute(self, sql: str, params: tuple) -> None:
        assert sql.lstrip().startswith("DELETE FROM idempotency_keys")
        self.statements += 1
        self.rowcount = min(self.expired, params[0])
        self.expired -= self.rowcount


def test_a_purge_goes_on_while_batches_come_back_full() -> None:
    cursor = _DeletingCursor(2_500)
    assert IdempotencyStore.purge(cursor) == 2_500
    assert cursor.statements == 3 and cursor.expired == 0


def test_a_purge_stops_after_its_batch_limit() -> None:
    cursor = _DeletingCursor(25)
    assert IdempotencyStore.purge(cursor, batch=10, max_batches=2) == 20
    assert cursor.statements == 2 and cursor.expired == 5


def test_a_purge_stops_when_its_time_is_up() -> None:
    cursor = _DeletingCursor(10_000)
    ticks = iter([0.0, 0.1, 0.25, 0.4])
    assert IdempotencyStore.purge(cursor, batch=1_000, budget=0.2, clock=lambda: next(ticks)) == 2_000
    assert cursor.statements == 2


def test_fingerprint_ignores_key_order_and_spacing() -> None:
    assert fingerprint("POST", "/v1/orders", {"a": 1, "b": [1, 2]}) == \
        fingerprint("POST", "/v1/orders", {"b": [1, 2], "a": 1})
    assert fingerprint("POST", "/v1/orders", {"a": 1}) != fingerprint("POST", "/v1/partners", {"a": 1})
    assert fingerprint("POST", "/v1/orders", {"a": 1}) != fingerprint("POST", "/v1/orders", {"a": 2})


@pytest.mark.parametrize(("key", "ok"), [("abc-123", True), ("", False), ("a" * 255, True), ("a" * 256, False),
                                         ("has space", False), ("ünïcode", False)])
def test_key_syntax(key: str, ok: bool) -> None:
    assert valid_key(key) is ok
