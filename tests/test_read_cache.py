"""The read cache's parts: the fresh LRU, request keys, the write-behind queue and the snapshot table."""
from __future__ import annotations

import hashlib
import time
import uuid

import falcon
import pytest
from falcon import testing

from smn.cache.fresh import FreshCache
from smn.cache.reads import request_key, snapshot_key
from smn.cache.snapshots import CachedResponse, Snapshot, SnapshotStore, SnapshotWriter
from smn.db import Database
from smn.settings import Settings, SettingsError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _response(body: bytes = b'{"id":1}', stored_at: float | None = None) -> CachedResponse:
    return CachedResponse("application/json", body, time.time() if stored_at is None else stored_at, "abc",
                          {"Vary": "Accept"})


def _snapshot(key: str, body: bytes = b'{"id":1}', stored_at: float | None = None) -> Snapshot:
    return Snapshot(key, "client-1", "/v1/products/1", _response(body, stored_at))


def test_fresh_cache_expires_and_reports_time_left() -> None:
    clock = Clock()
    cache: FreshCache[str] = FreshCache(10, clock)
    cache.put("a", "A", ttl=5)
    clock.now = 2
    assert cache.get("a") == ("A", 3)
    clock.now = 5
    assert cache.get("a") is None and len(cache) == 0


def test_fresh_cache_drops_the_least_recently_used() -> None:
    cache: FreshCache[str] = FreshCache(2, Clock())
    cache.put("a", "A", 10)
    cache.put("b", "B", 10)
    assert cache.get("a")  # a is now the most recently used
    cache.put("c", "C", 10)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")


def _request(query: str = "", path: str = "/v1/products") -> falcon.Request:
    return testing.create_req(path=path, query_string=query)


def test_request_key_normalises_the_query_and_scopes_by_client_and_scopes() -> None:
    scopes = frozenset({"products:read", "orders:read"})
    key = request_key(_request("limit=3&offset=0"), "acme", scopes)
    assert key == request_key(_request("offset=0&limit=3"), "acme", frozenset(sorted(scopes)))
    assert key != request_key(_request("limit=3&offset=0"), "other", scopes)
    assert key != request_key(_request("limit=3&offset=0"), "acme", frozenset({"products:read"}))
    assert key != request_key(_request("limit=3&offset=1"), "acme", scopes)
    assert key != request_key(_request("limit=3&offset=0", "/v1/partners"), "acme", scopes)


@pytest.fixture()
def store(database_url: str) -> SnapshotStore:
    database = Database(database_url, 2)
    yield SnapshotStore(database, max_age=3600)
    database.close()


def test_the_snapshot_key_is_a_stable_digest_of_the_request_key() -> None:
    scopes = frozenset({"products:read", "orders:read"})
    key = snapshot_key(request_key(_request("limit=3&offset=0"), "acme", scopes))
    assert key == snapshot_key(request_key(_request("offset=0&limit=3"), "acme", frozenset(sorted(scopes))))
    assert len(key) == 64 and int(key, 16) >= 0
    assert key != snapshot_key(request_key(_request("limit=3&offset=0"), "other", scopes))
    material = b'["GET","/v1/products",[["limit","3"],["offset","0"]],"application/json","acme",' \
               b'["orders:read","products:read"]]'
    assert key == hashlib.sha256(material).hexdigest(), "the copies already in PostgreSQL keep their keys"


def test_writer_coalesces_per_key_and_drops_the_oldest_beyond_capacity(store: SnapshotStore) -> None:
    writer = SnapshotWriter(store, capacity=3, interval=60)
    keys = [f"test-{uuid.uuid4()}" for _ in range(4)]
    writer.submit(_snapshot(keys[0], b"old"))
    writer.submit(_snapshot(keys[0], b"new"))
    assert writer.queued(keys[0]).body == b"new"
    for key in keys[1:]:
        writer.submit(_snapshot(key))
    assert writer.dropped == 1 and writer.queued(keys[0]) is None
    assert writer.flush(5)
    assert writer.written == 3 and store.get(keys[0]) is None
    assert all(store.get(key) is not None for key in keys[1:])
    writer.close()


def test_store_keeps_the_newest_copy_and_round_trips_it(store: SnapshotStore) -> None:
    key = f"test-{uuid.uuid4()}"
    now = time.time()
    store.upsert([_snapshot(key, b'{"v":2}', now)])
    store.upsert([_snapshot(key, b'{"v":1}', now - 30)])
    found = store.get(key)
    assert found.body == b'{"v":2}' and found.etag == "abc" and found.headers == {"Vary": "Accept"}
    assert abs(found.stored_at - now) < 0.01 and found.age() <= 1


def test_copies_older_than_the_maximum_age_are_neither_served_nor_kept(store: SnapshotStore) -> None:
    key = f"test-{uuid.uuid4()}"
    store.upsert([_snapshot(key, stored_at=time.time() - 7200)])
    assert store.get(key) is None
    assert store.purge() >= 1


def test_a_failing_database_counts_the_lost_batch(settings) -> None:
    broken = SnapshotStore(Database("postgresql://nobody@127.0.0.1:1/none", 1, connect_timeout=1), 3600)
    writer = SnapshotWriter(broken, capacity=10, interval=0.01)
    writer.submit(_snapshot("lost"))
    assert writer.flush(10)
    assert writer.failed == 1 and writer.written == 0
    writer.close()


def test_fresh_cache_ttl_setting() -> None:
    assert Settings().fresh_cache_ttls == {"products": 5.0}
    assert Settings.from_env({"SMN_FRESH_CACHE_TTL": "products=0, invoices=30"}).fresh_cache_ttls == {
        "invoices": 30.0}
    for bad in ("products", "widgets=5", "products=-1", "products=abc"):
        with pytest.raises(SettingsError, match="SMN_FRESH_CACHE_TTL"):
            Settings.from_env({"SMN_FRESH_CACHE_TTL": bad})
