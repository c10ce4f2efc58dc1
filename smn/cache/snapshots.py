"""Last-known-good copies in PostgreSQL, written behind the request by one thread per worker.

Write-behind trade-off: the partner's request never waits for PostgreSQL. A copy is
queued (bounded, one entry per key: a newer answer replaces the queued one) and the
writer upserts what gathered every `interval` seconds in one transaction. So the copy
in PostgreSQL may lag the last answer by about `interval` (1 s by default), and the
copies still queued when a worker is killed hard are lost (a clean stop flushes them).
When the queue is full the oldest copy is dropped and counted in `dropped`.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import psycopg2

from smn.db import Database
from smn.process import current_pid

log = logging.getLogger("smn.cache")

PURGE_EVERY = 3600.0
"""Seconds between deletions of copies older than the maximum stale age, per worker."""


@dataclass(frozen=True)
class CachedResponse:
    """A 200 answer as the partner got it; `stored_at` is the epoch second it was produced."""

    content_type: str
    body: bytes
    stored_at: float
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200

    def age(self, now: float | None = None) -> int:
        return max(0, int((now if now is not None else time.time()) - self.stored_at))

    @functools.cached_property
    def validator_headers(self) -> list[tuple[str, str]]:
        """The kept header fields and the quoted ETag, as a 200 or a 304 of this copy sends them (built once)."""
        headers = list(self.headers.items())
        if self.etag:
            headers.append(("ETag", f'"{self.etag}"'))
        return headers


@dataclass(frozen=True)
class Snapshot:
    """A copy on its way to PostgreSQL: the response and who may see it again."""

    key: str
    client_id: str
    path: str
    response: CachedResponse


class SnapshotStore:
    """The read_snapshots table (migration 0004)."""

    def __init__(self, database: Database, max_age: int) -> None:
        self.database = database
        self.max_age = max_age

    def get(self, key: str) -> CachedResponse | None:
        row = self.database.fetch_one(
            "SELECT status, content_type, etag, headers, body, extract(epoch FROM stored_at) FROM read_snapshots"
            " WHERE cache_key = %s AND stored_at > now() - make_interval(secs => %s)", (key, self.max_age))
        if row is None:
            return None
        status, content_type, etag, headers, body, stored_at = row
        return CachedResponse(content_type, bytes(body), float(stored_at), etag, dict(headers or {}), status)

    def upsert(self, snapshots: list[Snapshot]) -> None:
        """One transaction; a copy never replaces a newer one written by another worker."""
        with self.database.cursor() as cur:
            for snap in snapshots:
                resp = snap.response
                cur.execute(
                    "INSERT INTO read_snapshots (cache_key, client_id, path, status, content_type, etag, headers,"
                    " body, stored_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s))"
                    " ON CONFLICT (cache_key) DO UPDATE SET status = EXCLUDED.status,"
                    " content_type = EXCLUDED.content_type, etag = EXCLUDED.etag, headers = EXCLUDED.headers,"
                    " body = EXCLUDED.body, stored_at = EXCLUDED.stored_at"
                    " WHERE read_snapshots.stored_at <= EXCLUDED.stored_at",
                    (snap.key, snap.client_id, snap.path, resp.status, resp.content_type, resp.etag,
                     json.dumps(resp.headers), resp.body, resp.stored_at))

    def purge(self) -> int:
        return self.database.execute(
            "DELETE FROM read_snapshots WHERE stored_at < now() - make_interval(secs => %s)", (self.max_age,))


class SnapshotWriter:
    """Coalescing, bounded write-behind queue drained by a daemon thread (started lazily, per process)."""

    def __init__(self, store: SnapshotStore, capacity: int, interval: float) -> None:
        self.store = store
        self.capacity = capacity
        self.interval = interval
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self._pending: OrderedDict[str, Snapshot] = OrderedDict()
        self._writing: dict[str, Snapshot] = {}
        self._cond = threading.Condition()
        self._flush_requested = False
        self._closing = False
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._last_purge = 0.0

    def submit(self, snap: Snapshot) -> None:
        with self._cond:
            self._ensure_thread()
            self._pending.pop(snap.key, None)
            self._pending[snap.key] = snap
            while len(self._pending) > self.capacity:
                self._pending.popitem(last=False)
                self.dropped += 1
            self._cond.notify_all()

    def queued(self, key: str) -> CachedResponse | None:
        """A copy not yet in PostgreSQL (queued or being written), so an outage right after a read finds it."""
        with self._cond:
            snap = self._pending.get(key) or self._writing.get(key)
            return snap.response if snap else None

    def flush(self, timeout: float = 5.0) -> bool:
        """Write what is queued now; True when the queue drained within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._thread is None or not (self._pending or self._writing):
                return not self._pending
            self._flush_requested = True
            self._cond.notify_all()
            while self._pending or self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Flush, then stop the thread (gunicorn worker_exit)."""
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == current_pid():
            thread.join(timeout)

    def _ensure_thread(self) -> None:
        """Caller holds the lock. A forked child starts its own thread with an empty queue."""
        pid = current_pid()
        if self._thread is not None and self._pid == pid:
            return
        if self._pid is not None and self._pid != pid:
            self._pending.clear()
            self._writing.clear()
        self._closing = False
        self._pid = pid
        self._thread = threading.Thread(target=self._run, name="smn-snapshot-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            self._write(batch)
            self._maybe_purge()

    def _next_batch(self) -> list[Snapshot] | None:
        with self._cond:
            while not self._pending and not self._closing:
                self._cond.wait()
            if not self._pending:
                return None
            deadline = time.monotonic() + self.interval
            while not (self._closing or self._flush_requested) and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            self._flush_requested = False
            self._writing = dict(self._pending)
            self._pending.clear()
            return list(self._writing.values())

    def _write(self, batch: list[Snapshot]) -> None:
        try:
            self.store.upsert(batch)
            self.written += len(batch)
        except Exception as exc:  # the writer thread must outlive any failure: count it, log it, go on
            self.failed += len(batch)
            log.warning("read snapshots not written", extra={"count": len(batch), "error": type(exc).__name__})
        finally:
            with self._cond:
                self._writing = {}
                self._cond.notify_all()

    def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        try:
            removed = self.store.purge()
        except psycopg2.Error as exc:
            log.warning("old read snapshots not purged", extra={"error": type(exc).__name__})
            return
        if removed:
            log.info("old read snapshots purged", extra={"count": removed})
