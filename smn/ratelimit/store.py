"""The shared side of the rate limiter: token leases from PostgreSQL's rate_limit_buckets.

Used only by the limiter's background thread, over one connection of its own
(application_name `smn-ratelimit`), never from a request thread and never
from the request pool.
"""
from __future__ import annotations

import psycopg2
import psycopg2.extensions

from smn.db import close_quietly

APPLICATION_NAME = "smn-ratelimit"


class LeaseStore:
    """smn_rate_lease() over a lazily opened autocommit connection; reconnects after a failure."""

    def __init__(self, url: str, connect_timeout: int = 3) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self._conn: psycopg2.extensions.connection | None = None

    def lease(self, client_id: str, rate: float, burst: int, want: int, give_back: int = 0) -> tuple[int, float]:
        """Take up to `want` tokens (after returning `give_back`): (granted, tokens left in the shared bucket)."""
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT granted, remaining FROM smn_rate_lease(%s, %s, %s, %s, %s)",
                            (client_id, float(rate), float(burst), int(want), int(give_back)))
                granted, remaining = cur.fetchone()
        except psycopg2.Error:
            self.close()
            raise
        return int(granted), float(remaining)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            close_quietly(conn)

    def forget(self) -> None:
        """Drop a connection inherited across fork without closing the parent's socket."""
        self._conn = None

    def _connection(self) -> psycopg2.extensions.connection:
        if self._conn is None or self._conn.closed:
            conn = psycopg2.connect(self.url, application_name=APPLICATION_NAME,
                                    connect_timeout=self.connect_timeout)
            conn.autocommit = True
            self._conn = conn
        return self._conn
