"""NotifyListener: a thread holding one LISTEN connection that keeps an in-memory view fresh.

The auth view (smn/auth/state.py), the builder's endpoint registry
(smn/builder/registry.py) and the outbox worker (smn/outbox/worker.py) each
run one per process. The thread connects,
LISTENs, loads everything, then hands each batch of notifications to the
subclass and loads everything again every `resync_interval` seconds; when
PostgreSQL drops the connection it reconnects with a backoff and loads again,
so nothing missed while it was away stays missed. `stop()` wakes it at once.
"""
from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from abc import ABCMeta, abstractmethod
from typing import Any

import psycopg2
import psycopg2.extensions

from smn.db import close_quietly

MAX_BACKOFF = 5.0
"""Seconds between reconnection attempts at most (0.25 s, doubling, after the first failure)."""


class NotifyListener(threading.Thread, metaclass=ABCMeta):
    """Subclasses set `channel`, `application_name` and `log`, and define `resync_interval`, `load` and `notified`."""

    channel: str
    application_name: str
    log: logging.Logger

    def __init__(self, name: str, database_url: str) -> None:
        super().__init__(name=name, daemon=True)
        self.database_url = database_url
        self.backend_pid: int | None = None
        self.connections = 0
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = os.pipe()
        self._pipe_closed = False
        self._conn: psycopg2.extensions.connection | None = None
        self._loaded = False

    @property
    @abstractmethod
    def resync_interval(self) -> float:
        """Seconds between two full loads while connected."""

    @abstractmethod
    def load(self, cur: Any) -> None:
        """Load the whole view (after each connect and every resync_interval)."""

    @abstractmethod
    def notified(self, cur: Any, notifications: list[psycopg2.extensions.Notify]) -> None:
        """Apply a batch of notifications."""

    def stop(self, timeout: float = 5.0) -> None:
        """Wake the thread and wait for it; safe to call again (the pipe is closed once, when the thread is gone)."""
        if not self._stopping.is_set():
            self._stopping.set()
            os.write(self._wake_write, b"x")
        self.join(timeout)
        if not self.is_alive() and not self._pipe_closed:
            self._pipe_closed = True
            os.close(self._wake_read)
            os.close(self._wake_write)

    def run(self) -> None:
        failures = 0
        label = self.name.removeprefix("smn-").replace("-", " ")
        while not self._stopping.is_set():
            self._loaded = False
            try:
                self._session()
            except psycopg2.Error as exc:
                # Loud once per outage; each retry after that at debug level.
                (self.log.debug if failures else self.log.warning)(
                    f"{label} lost PostgreSQL; reconnecting", extra={"error": type(exc).__name__})
            except Exception:
                # A bug here must not silently freeze the view: log it and start over.
                self.log.exception(f"{label} failed; reconnecting")
            self._disconnect()
            failures = 0 if self._loaded else failures + 1
            delay = min(0.25 * 2 ** (failures - 1), MAX_BACKOFF) if failures else 0.0
            if self._stopping.wait(delay):
                break

    def _session(self) -> None:
        conn = psycopg2.connect(self.database_url, application_name=self.application_name,
                                connect_timeout=5, keepalives=1, keepalives_idle=10, keepalives_interval=5,
                                keepalives_count=3)
        conn.autocommit = True
        self._conn = conn
        self.connections += 1
        self.backend_pid = conn.get_backend_pid()
        with conn.cursor() as cur, selectors.DefaultSelector() as selector:
            selector.register(conn, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            cur.execute(f"LISTEN {self.channel}")
            self.load(cur)
            self._loaded = True
            next_resync = time.monotonic() + self.resync_interval
            while not self._stopping.is_set():
                # Any query (a load, a re-read) may have collected notifications already:
                # apply them before sleeping, the socket will not wake us for them.
                if conn.notifies:
                    notifications = list(conn.notifies)
                    conn.notifies.clear()
                    self.notified(cur, notifications)
                    continue
                events = selector.select(max(0.0, next_resync - time.monotonic()))
                if any(key.fileobj is conn for key, _ in events):
                    conn.poll()
                if time.monotonic() >= next_resync:
                    self.load(cur)
                    next_resync = time.monotonic() + self.resync_interval

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            close_quietly(conn)
