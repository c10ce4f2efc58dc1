"""Failed client authentications, counted per client_id and per remote address across every worker.

A sliding window over the auth_failures table: once `limit` failures fall
within `window` seconds for the client_id or for the address, the token and
revocation endpoints answer 429 (`slow_down`) without checking the secret,
until the oldest failure leaves the window.
"""
from __future__ import annotations

import math
from typing import Any

from smn.auth.models import CLIENT_ID_PATTERN
from smn.db import Database


class FailureThrottle:
    def __init__(self, database: Database, limit: int, window: int) -> None:
        self.database = database
        self.limit = limit
        self.window = window

    def retry_after(self, client_id: str | None, remote_addr: str | None) -> int | None:
        """Seconds until another attempt is allowed, or None when it is allowed now."""
        client_id = _sane_client_id(client_id)
        row = self.database.fetch_one(
            """SELECT count(*) FILTER (WHERE client_id = %(client)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE client_id = %(client)s)
                                         + make_interval(secs => %(window)s) - now())::float8,
                      count(*) FILTER (WHERE remote_addr = %(addr)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE remote_addr = %(addr)s)
                                         + make_interval(secs => %(window)s) - now())::float8
               FROM auth_failures
               WHERE failed_at > now() - make_interval(secs => %(window)s)
                 AND (client_id = %(client)s OR remote_addr = %(addr)s)""",
            {"client": client_id, "addr": remote_addr, "window": self.window})
        by_client, client_wait, by_addr, addr_wait = row
        waits = [wait for count, wait in ((by_client, client_wait), (by_addr, addr_wait))
                 if count >= self.limit and wait is not None]
        return max(1, math.ceil(max(waits))) if waits else None

    def record(self, client_id: str | None, remote_addr: str | None) -> None:
        self.database.execute("INSERT INTO auth_failures (client_id, remote_addr) VALUES (%s, %s)",
                              (_sane_client_id(client_id), remote_addr))

    def purge(self, cur: Any) -> None:
        """Drop failures that left the window (run by each process's auth housekeeping)."""
        cur.execute("DELETE FROM auth_failures WHERE failed_at < now() - make_interval(secs => %s)", (self.window,))


def _sane_client_id(client_id: str | None) -> str | None:
    """Only well-formed ids are stored; anything else can only ever be a failure by address."""
    return client_id if client_id and CLIENT_ID_PATTERN.fullmatch(client_id) else None
