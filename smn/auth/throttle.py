"""Failed client authentications, counted per client_id and per remote address across every worker.

A sliding window over the auth_failures table: once `limit` failures fall
within `window` seconds for the client_id or for the address, the token and
revocation endpoints answer 429 (`slow_down`) without checking the secret,
until the oldest failure leaves the window.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from psycopg2 import sql

from smn.auth.models import CLIENT_ID_PATTERN
from smn.db import Database


class FailureThrottle:
    """Failures per identity and per address in a sliding window over one table, shared by every worker.

    Partner authentication uses `auth_failures` keyed by client_id (the
    default); the admin login uses `admin_login_failures` keyed by username.
    `normalize` turns what the caller was given into the identity stored (None:
    counted by address only).
    """

    def __init__(self, database: Database, limit: int, window: int, *, table: str = "auth_failures",
                 identity: str = "client_id", normalize: Callable[[str | None], str | None] | None = None) -> None:
        self.database = database
        self.limit = limit
        self.window = window
        self.normalize = normalize or _sane_client_id
        names = {"table": sql.Identifier(table), "identity": sql.Identifier(identity)}
        self._waits = sql.SQL(
            """SELECT count(*) FILTER (WHERE {identity} = %(id)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE {identity} = %(id)s)
                                         + make_interval(secs => %(window)s) - now())::float8,
                      count(*) FILTER (WHERE remote_addr = %(addr)s),
                      extract(epoch FROM min(failed_at) FILTER (WHERE remote_addr = %(addr)s)
                                         + make_interval(secs => %(window)s) - now())::float8
               FROM {table}
               WHERE failed_at > now() - make_interval(secs => %(window)s)
                 AND ({identity} = %(id)s OR remote_addr = %(addr)s)""").format(**names)
        self._insert = sql.SQL("INSERT INTO {table} ({identity}, remote_addr) VALUES (%s, %s)").format(**names)
        self._purge = sql.SQL("DELETE FROM {table} WHERE failed_at < now() - make_interval(secs => %s)").format(**names)

    def retry_after(self, identity: str | None, remote_addr: str | None) -> int | None:
        """Seconds until another attempt is allowed, or None when it is allowed now."""
        row = self.database.fetch_one(self._waits, {"id": self.normalize(identity), "addr": remote_addr,
                                                    "window": self.window})
        by_identity, identity_wait, by_addr, addr_wait = row
        waits = [wait for count, wait in ((by_identity, identity_wait), (by_addr, addr_wait))
                 if count >= self.limit and wait is not None]
        return max(1, math.ceil(max(waits))) if waits else None

    def record(self, identity: str | None, remote_addr: str | None) -> None:
        """Count a failure, and drop the ones that left the window (the table stays small between housekeepings)."""
        with self.database.cursor() as cur:
            cur.execute(self._insert, (self.normalize(identity), remote_addr))
            self.purge(cur)

    def purge(self, cur: Any) -> None:
        """Drop failures that left the window."""
        cur.execute(self._purge, (self.window,))


def _sane_client_id(client_id: str | None) -> str | None:
    """Only well-formed ids are stored; anything else can only ever be a failure by address."""
    return client_id if client_id and CLIENT_ID_PATTERN.fullmatch(client_id) else None
