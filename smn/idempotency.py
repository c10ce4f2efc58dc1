"""Idempotency-Key for partner writes, stored in PostgreSQL.

The first request with a key *claims* it (an INSERT that only one request
can win), runs, and stores its response; a retry with the same key and the
same request gets that response again without touching Odoo. A retry that
arrives while the first is still running waits for it (bounded, then 409).

What is stored: every answer below 500, and any answer once SMN wrote to
Odoo (even a 5xx: the write may have happened, so a blind retry must not
repeat it). A 5xx before any write releases the key, so the partner's retry
runs again. A claim whose worker died is taken over once its lease ends.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import falcon
import psycopg2.extras

from smn.db import Database
from smn.errors import PROBLEM_CONTENT_TYPE, Problem, problem_body
from smn.odoo.errors import OdooError
from smn.services.problems import problem_for

log = logging.getLogger("smn.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
STORED_HEADERS = ("Location", "Retry-After", "Preference-Applied")
PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 50
"""At most 50,000 expired keys per housekeeping run and process (~1,700 a second at the default 30 s)."""
PURGE_BUDGET = 0.2
"""Seconds a purge may go on: the auth listener applies no revocation while it runs (bound: 1 s)."""
_POLL_SECONDS = (0.02, 0.05, 0.1, 0.2)

_writes: ContextVar[list[bool] | None] = ContextVar("smn_idempotency_writes", default=None)


def record_write() -> None:
    """Services call this right after Odoo accepted a write (create, write, action)."""
    writes = _writes.get()
    if writes is not None:
        writes.append(True)


@contextmanager
def tracking_writes() -> Iterator[list[bool]]:
    """The record_write() calls of the block (the outbox asks whether a failed write wrote anything).

    Inside a keyed request the store's own list is shared, never shadowed.
    """
    writes = _writes.get()
    if writes is not None:
        yield writes
        return
    token = _writes.set([])
    try:
        yield _writes.get()
    finally:
        _writes.reset(token)


@dataclass
class Reply:
    """A response as stored and replayed: status, media type, body and the headers that matter."""

    status: int
    body: bytes
    content_type: str = falcon.MEDIA_JSON
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, body: Any) -> str:
    """Hash of the request; JSON is canonicalised so key order and spacing do not matter."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(char) <= 126 for char in key)


def problem_reply(problem: falcon.HTTPError) -> Reply:
    headers = {name: value for name, value in (problem.headers or {}).items() if name in STORED_HEADERS}
    body = json.dumps(problem_body(problem), ensure_ascii=False).encode()
    return Reply(problem.status_code, body, PROBLEM_CONTENT_TYPE, headers)


class IdempotencyStore:
    """Claims, waits for, stores and replays keyed write requests."""

    def __init__(self, database: Database, ttl: int = 86_400, wait: float = 10.0, lease: int = 120) -> None:
        self.database = database
        self.ttl = ttl
        self.wait = wait
        self.lease = lease

    def run(self, client_id: str, key: str, request_hash: str, action: Callable[[], Reply],
            lease: float | None = None) -> tuple[Reply, bool]:
        """(reply, replayed): run `action` once per (client, key) or replay what it answered.

        `lease` (seconds, default the store's) must outlast the action: a claim
        still running after it may be taken over by a retry.
        """
        deadline = time.monotonic() + self.wait
        attempt = 0
        while True:
            owner = self._claim(client_id, key, request_hash, max(lease or 0, self.lease))
            if owner is not None:
                return self._execute(client_id, key, owner, action), False
            stored = self._stored(client_id, key, request_hash)
            if stored is not None:
                return stored, True
            if time.monotonic() >= deadline:
                raise Problem(409, "A request with this Idempotency-Key is still being processed; retry shortly.",
                              slug="idempotency-key-in-use", headers={"Retry-After": "1"})
            time.sleep(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)])
            attempt += 1

    def _execute(self, client_id: str, key: str, owner: str, action: Callable[[], Reply]) -> Reply:
        token = _writes.set([])
        try:
            reply = action()
        except falcon.HTTPError as problem:
            self._finish(client_id, key, owner, problem_reply(problem))
            raise
        except OdooError as exc:
            problem = problem_for(exc)
            self._finish(client_id, key, owner, problem_reply(problem))
            raise problem from exc
        except Exception:
            if _writes.get():
                self._complete(client_id, key, owner, problem_reply(Problem(
                    500, "An unexpected error occurred after the write; quote the request_id when reporting it.")))
            else:
                self._release(client_id, key, owner)
            raise
        else:
            self._complete(client_id, key, owner, reply)
            return reply
        finally:
            _writes.reset(token)

    def _finish(self, client_id: str, key: str, owner: str, reply: Reply) -> None:
        if reply.status < 500 or _writes.get():
            self._complete(client_id, key, owner, reply)
        else:
            self._release(client_id, key, owner)

    def _claim(self, client_id: str, key: str, request_hash: str, lease: float) -> str | None:
        """Insert-first: exactly one concurrent request gets the row (or an expired/abandoned one)."""
        owner = str(uuid.uuid4())
        row = self.database.fetch_one(
            """INSERT INTO idempotency_keys (client_id, key, request_hash, owner, locked_until, expires_at)
               VALUES (%(client)s, %(key)s, %(hash)s, %(owner)s,
                       now() + make_interval(secs => %(lease)s), now() + make_interval(secs => %(ttl)s))
               ON CONFLICT (client_id, key) DO UPDATE
                  SET request_hash = EXCLUDED.request_hash, owner = EXCLUDED.owner, status = NULL,
                      content_type = NULL, headers = NULL, body = NULL, created_at = now(),
                      locked_until = EXCLUDED.locked_until, completed_at = NULL, expires_at = EXCLUDED.expires_at
                WHERE idempotency_keys.expires_at < now()
                   OR (idempotency_keys.completed_at IS NULL AND idempotency_keys.locked_until < now()
                       AND idempotency_keys.request_hash = EXCLUDED.request_hash)
               RETURNING owner""",
            {"client": client_id, "key": key, "hash": request_hash, "owner": owner,
             "lease": lease, "ttl": self.ttl})
        return owner if row is not None else None

    def _stored(self, client_id: str, key: str, request_hash: str) -> Reply | None:
        """The stored reply, None while the first request runs; 422 when the key was used for another request."""
        row = self.database.fetch_one(
            """SELECT request_hash, status, content_type, headers, body FROM idempotency_keys
                WHERE client_id = %s AND key = %s AND expires_at >= now()""", (client_id, key))
        if row is None:
            return None
        stored_hash, status, content_type, headers, body = row
        if stored_hash != request_hash:
            raise Problem(422, "This Idempotency-Key was already used for a different request.",
                          slug="idempotency-key-reused",
                          errors=[{"field": HEADER, "message": "Already used with another method, path or body."}])
        if status is None:
            return None
        return Reply(status, bytes(body), content_type, dict(headers or {}))

    def _complete(self, client_id: str, key: str, owner: str, reply: Reply) -> None:
        updated = self.database.execute(
            """UPDATE idempotency_keys
                  SET status = %s, content_type = %s, headers = %s, body = %s, completed_at = now()
                WHERE client_id = %s AND key = %s AND owner = %s""",
            (reply.status, reply.content_type, psycopg2.extras.Json(reply.headers),
             psycopg2.Binary(reply.body), client_id, key, owner))
        if not updated:
            log.warning("idempotency claim was taken over before completion", extra={"idempotency_key": key})

    def _release(self, client_id: str, key: str, owner: str) -> None:
        self.database.execute("DELETE FROM idempotency_keys WHERE client_id = %s AND key = %s AND owner = %s",
                              (client_id, key, owner))

    @staticmethod
    def purge(cur: Any, batch: int = PURGE_BATCH, max_batches: int = PURGE_MAX_BATCHES,
              budget: float = PURGE_BUDGET, clock: Callable[[], float] = time.monotonic) -> int:
        """Delete expired keys on `cur`, `batch` rows per statement, until none are left: how many went.

        Auth housekeeping runs it (every SMN_AUTH_RESYNC_INTERVAL, in each
        process), never a partner's request. One batch per run capped the purge
        at ~33 keys a second per process, below a busy order flow's rate; now a
        run goes on while batches come back full, up to `max_batches` (each its
        own short statement on the autocommit cursor) and for at most `budget`
        seconds: it runs on the auth listener's thread, which applies no
        revocation meanwhile. An expired key left
        behind meanwhile is harmless: `_claim` takes it over and `_stored`
        ignores it.
        """
        deleted = 0
        deadline = clock() + budget
        for _ in range(max_batches):
            cur.execute("""DELETE FROM idempotency_keys WHERE ctid IN (
                               SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT %s)""", (batch,))
            deleted += cur.rowcount
            if cur.rowcount < batch or clock() >= deadline:
                break
        return deleted
