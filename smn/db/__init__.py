"""PostgreSQL access: a small per-process connection pool and helpers."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import psycopg2
import psycopg2.extensions

from smn.process import current_pid

log = logging.getLogger("smn.db")


class ConnectionPool:
    """Keeps up to `size` open connections and reuses them, opening them lazily.

    psycopg2's own pools close every returned connection above `minconn` and
    open all `minconn` at once; this one keeps what it opened and blocks the
    (size+1)th concurrent borrower until a connection comes back.
    """

    def __init__(self, url: str, size: int, connect_timeout: float) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[psycopg2.extensions.connection] = []
        self._lock = threading.Lock()

    def get(self, timeout: float) -> psycopg2.extensions.connection:
        if not self._slots.acquire(timeout=timeout):
            raise psycopg2.OperationalError(f"no free database connection within {timeout}s")
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is not None and not conn.closed:
            return conn
        try:
            return psycopg2.connect(self.url, connect_timeout=max(1, round(self.connect_timeout)),
                                    application_name="smn")
        except BaseException:
            self._slots.release()
            raise

    def put(self, conn: psycopg2.extensions.connection, discard: bool = False) -> None:
        try:
            if discard or conn.closed:
                close_quietly(conn)
            else:
                with self._lock:
                    self._idle.append(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            close_quietly(conn)


class Database:
    """A lazily created connection pool, rebuilt in each forked process.

    gunicorn forks workers from its master; a connection must never cross a
    fork, so the pool remembers the pid that made it and a worker makes its own
    on first use.
    """

    def __init__(self, url: str, max_connections: int = 10, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self._pool: ConnectionPool | None = None
        self._pool_pid: int | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> ConnectionPool:
        pid = current_pid()
        if self._pool is None or self._pool_pid != pid:
            with self._lock:
                if self._pool is None or self._pool_pid != pid:
                    self._pool = ConnectionPool(self.url, self.max_connections, self.connect_timeout)
                    self._pool_pid = pid
        return self._pool

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection in a transaction: commit on success, roll back on error."""
        pool = self._get_pool()
        conn = pool.get(timeout=self.connect_timeout)
        broken = False
        try:
            yield conn
            conn.commit()
        except psycopg2.Error:
            _safe_rollback(conn)
            broken = conn.closed != 0  # psycopg2 marks a connection it found dead
            raise
        except BaseException:
            _safe_rollback(conn)
            raise
        finally:
            pool.put(conn, discard=broken)

    @contextmanager
    def cursor(self) -> Iterator[psycopg2.extensions.cursor]:
        with self.connection() as conn, conn.cursor() as cur:
            yield cur

    def fetch_all(self, sql: str, params: Any = None) -> list[tuple]:
        with self.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def fetch_one(self, sql: str, params: Any = None) -> tuple | None:
        with self.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def execute(self, sql: str, params: Any = None) -> int:
        with self.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def ping(self, timeout: float) -> None:
        """Raise if PostgreSQL does not answer `SELECT 1` within timeout seconds."""
        conn = psycopg2.connect(self.url, connect_timeout=max(1, round(timeout)), application_name="smn-readyz")
        try:
            with conn.cursor() as cur:
                cur.execute("SET statement_timeout = %s", (int(timeout * 1000),))
                cur.execute("SELECT 1")
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pool_pid == current_pid():
                self._pool.close()
            self._pool = None


def _safe_rollback(conn: psycopg2.extensions.connection) -> None:
    try:
        if not conn.closed:
            conn.rollback()
    except psycopg2.Error:
        pass


def close_quietly(conn: psycopg2.extensions.connection) -> None:
    """Close a connection that may already be broken or closed; errors on the way out are not news."""
    try:
        if not conn.closed:
            conn.close()
    except psycopg2.Error:
        pass
