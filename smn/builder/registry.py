"""This worker's built endpoints, kept fresh by LISTEN smn_builder and a periodic reload.

Same pattern as smn/auth/state.py: a daemon thread per process holds one
connection that LISTENs, reloads every definition on any notification (there
are few), and again every `resync_interval` seconds and after reconnects.
Requests read the current dict without a lock or a query.
"""
from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from typing import Callable

import psycopg2

from smn.builder.definitions import Definition
from smn.builder.store import DefinitionStore
from smn.process import current_pid

log = logging.getLogger("smn.builder")

CHANNEL = "smn_builder"
LISTENER_APPLICATION_NAME = "smn-builder"


class EndpointRegistry:
    def __init__(self, store: DefinitionStore, resync_interval: float,
                 on_change: Callable[[], None] | None = None) -> None:
        self.store = store
        self.resync_interval = resync_interval
        self.on_change = on_change
        self._definitions: dict[str, Definition] = {}
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: _Listener | None = None
        self._loaded = threading.Event()

    def get(self, slug: str) -> Definition | None:
        self.ensure_started()
        return self._definitions.get(slug)

    def all(self) -> list[Definition]:
        self.ensure_started()
        return sorted(self._definitions.values(), key=lambda d: d.slug)

    def ensure_started(self, timeout: float = 5.0) -> None:
        """Start the listener in this process (again after a fork) and wait for the first load."""
        if self._thread is None or self._pid != current_pid():
            with self._lock:
                if self._thread is None or self._pid != current_pid():
                    self._pid = current_pid()
                    self._loaded = threading.Event()
                    self._thread = _Listener(self)
                    self._thread.start()
        self._loaded.wait(timeout)

    def replace(self, definitions: dict[str, Definition]) -> None:
        changed = {d.slug: d.version for d in definitions.values()} != \
            {d.slug: d.version for d in self._definitions.values()}
        self._definitions = definitions
        self._loaded.set()
        if changed and self.on_change is not None:
            self.on_change()

    def reload(self) -> None:
        """Reload now from the caller's thread (the admin's own worker need not wait for NOTIFY)."""
        self.replace(self.store.load_all())

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and self._pid == current_pid():
            thread.stop()


class _Listener(threading.Thread):
    def __init__(self, registry: EndpointRegistry) -> None:
        super().__init__(name="smn-builder-listener", daemon=True)
        self.registry = registry
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = os.pipe()

    def stop(self) -> None:
        self._stopping.set()
        os.write(self._wake_write, b"x")
        self.join(5)

    def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                self._session()
                failures = 0
            except psycopg2.Error as exc:
                (log.debug if failures else log.warning)(
                    "builder listener lost PostgreSQL; reconnecting", extra={"error": type(exc).__name__})
                failures += 1
            except Exception:
                log.exception("builder listener failed; reconnecting")
                failures += 1
            if self._stopping.wait(min(0.25 * 2 ** failures, 5.0) if failures else 0):
                break

    def _session(self) -> None:
        conn = psycopg2.connect(self.registry.store.database.url, application_name=LISTENER_APPLICATION_NAME,
                                connect_timeout=5, keepalives=1, keepalives_idle=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur, selectors.DefaultSelector() as selector:
                selector.register(conn, selectors.EVENT_READ)
                selector.register(self._wake_read, selectors.EVENT_READ)
                cur.execute(f"LISTEN {CHANNEL}")
                self.registry.replace(self.registry.store.load_all(cur))
                next_resync = time.monotonic() + self.registry.resync_interval
                while not self._stopping.is_set():
                    events = selector.select(max(0.0, next_resync - time.monotonic()))
                    if any(key.fileobj is conn for key, _ in events):
                        conn.poll()
                    if conn.notifies or time.monotonic() >= next_resync:
                        conn.notifies.clear()
                        self.registry.replace(self.registry.store.load_all(cur))
                        next_resync = time.monotonic() + self.registry.resync_interval
        finally:
            conn.close()
