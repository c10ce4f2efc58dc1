"""Partner reads through the caches: fresh hit, else Odoo, else the last-known-good copy.

`@cached_read("products")` goes on a GET responder (below `@requires_scope`) of a
resource whose `api.reads` is a ReadCache. The responder stays as it is; this layer
decides whether it runs and keeps what it answered:

1. NDJSON exports bypass the caches (`Cache-Status: smn; fwd=bypass`).
2. With a fresh TTL for the resource, an unexpired copy in this worker's memory is
   the answer (`smn; hit; ttl=N`): no PostgreSQL query, no Odoo call.
3. Otherwise the responder runs. A 200 with a body is kept: in the fresh cache when
   the resource has a TTL, and as the last-known-good copy queued for PostgreSQL
   (`smn; fwd=miss; stored`).
4. When Odoo is unavailable (down, timing out, a proxy error page, or the circuit is
   open) the last-known-good copy is the answer, 200 with `Age` and
   `smn; fwd=stale; ttl=-AGE; detail=odoo-unavailable` — or, when Odoo was not asked
   because the circuit is open, `smn; hit; ttl=-AGE; detail=circuit-open` (RFC 9211:
   a response served without going forward is a hit, stale or not). With no copy the
   OdooUnavailable goes on to the error handler: 503 problem+json with Retry-After.

Every key holds the client_id and the token's scopes, so a copy made for one client
(or one set of scopes) is never served to another.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import falcon
import psycopg2

from smn.cache.fresh import FreshCache
from smn.cache.snapshots import CachedResponse, Snapshot, SnapshotStore, SnapshotWriter
from smn.db import Database
from smn.odoo.breaker import OdooCircuitOpen
from smn.odoo.errors import OdooTimeout, OdooUnavailable
from smn.representation import not_modified, wants_ndjson
from smn.settings import Settings

log = logging.getLogger("smn.cache")

CACHE_NAME = "smn"
MAX_FRESH_BYTES = 1_048_576
"""Larger answers are not kept in memory (they are still kept as last-known-good copies)."""
KEPT_HEADERS = ("Vary", "Cache-Control")

HIT, MISS, STALE, BYPASS = "hit", "miss", "stale", "bypass"


class ReadCache:
    """Fresh cache (memory, per worker) and last-known-good copies (PostgreSQL, shared)."""

    def __init__(self, store: SnapshotStore, writer: SnapshotWriter, fresh: FreshCache[CachedResponse],
                 fresh_ttls: dict[str, float], stale_reads: bool = True) -> None:
        self.store = store
        self.writer = writer
        self.fresh = fresh
        self.fresh_ttls = fresh_ttls
        self.stale_reads = stale_reads

    @classmethod
    def from_settings(cls, settings: Settings, database: Database) -> ReadCache:
        store = SnapshotStore(database, settings.stale_max_age)
        writer = SnapshotWriter(store, settings.snapshot_queue_size, settings.snapshot_flush_interval)
        return cls(store, writer, FreshCache(settings.fresh_cache_size), settings.fresh_cache_ttls,
                   settings.stale_reads)

    def close(self) -> None:
        self.writer.close()

    def serve(self, resource: str, req: falcon.Request, resp: falcon.Response, produce: Callable[[], None]) -> None:
        """Answer `req` from a cache or by running `produce` (the responder)."""
        principal = getattr(req.context, "auth", None)
        if principal is None or wants_ndjson(req):
            _mark(req, resp, BYPASS, "fwd=bypass")
            produce()
            return
        key = request_key(req, principal.client_id, principal.scopes)
        ttl = self.fresh_ttls.get(resource, 0.0)
        if ttl and self._serve_fresh(key, req, resp):
            return
        try:
            produce()
        except OdooUnavailable as exc:
            self._serve_stale(snapshot_key(key), req, resp, exc)
            return
        self._keep(key, principal.client_id, req, resp, ttl)

    def lookup_stale(self, key: str) -> CachedResponse | None:
        """The newest copy: one still queued in this worker, else PostgreSQL's (None if it fails too)."""
        queued = self.writer.queued(key)
        if queued is not None:
            return queued
        try:
            return self.store.get(key)
        except psycopg2.Error as exc:
            log.warning("read snapshot lookup failed", extra={"error": type(exc).__name__})
            return None

    def _serve_fresh(self, key: RequestKey, req: falcon.Request, resp: falcon.Response) -> bool:
        found = self.fresh.get(key)
        if found is None:
            return False
        cached, left = found
        _send(req, resp, cached)
        _mark(req, resp, HIT, f"hit; ttl={int(left)}")
        return True

    def _serve_stale(self, key: str, req: falcon.Request, resp: falcon.Response, exc: OdooUnavailable) -> None:
        detail = _detail(exc)
        cached = self.lookup_stale(key) if self.stale_reads else None
        if cached is None:
            _mark(req, resp, MISS, f"fwd=miss; detail={detail}")
            raise exc
        age = cached.age()
        _send(req, resp, cached)
        status = f"hit; ttl={-age}" if isinstance(exc, OdooCircuitOpen) else f"fwd=stale; ttl={-age}"
        _mark(req, resp, STALE, f"{status}; detail={detail}")
        log.info("stale read served", extra={"age": age, "reason": detail})

    def _keep(self, key: RequestKey, client_id: str, req: falcon.Request, resp: falcon.Response,
              ttl: float) -> None:
        cached = _capture(resp)
        if cached is None:
            _mark(req, resp, MISS, "fwd=miss")
            return
        if ttl and len(cached.body) <= MAX_FRESH_BYTES:
            self.fresh.put(key, cached, ttl)
        self.writer.submit(Snapshot(snapshot_key(key), client_id, req.path, cached))
        _mark(req, resp, MISS, "fwd=miss; stored")


def cached_read(resource: str) -> Callable[[Callable], Callable]:
    """Responder decorator: serve through `self.api.reads` (a ReadCache) when the app has one."""

    def decorate(responder: Callable) -> Callable:
        @functools.wraps(responder)
        def through_cache(self: Any, req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
            reads: ReadCache | None = getattr(self.api, "reads", None)
            if reads is None:
                responder(self, req, resp, **params)
                return
            reads.serve(resource, req, resp, lambda: responder(self, req, resp, **params))

        return through_cache

    return decorate


RequestKey = tuple[str, str, tuple, str, frozenset]
"""Method, path, sorted query, client_id, scopes: the fresh cache's key (hashed only for PostgreSQL)."""


def request_key(req: falcon.Request, client_id: str, scopes: frozenset[str] | set[str]) -> RequestKey:
    """What tells two reads apart: method, path, sorted query, client and scopes."""
    params = req.params
    query = tuple(sorted((name, value if isinstance(value, str) else tuple(value)) for name, value in params.items())
                  ) if params else ()
    return req.method, req.path, query, client_id, frozenset(scopes)


def snapshot_key(key: RequestKey) -> str:
    """The key of record of a last-known-good copy in PostgreSQL: SHA-256 of the request key and representation.

    Only misses and stale reads need it; a fresh hit looks the request key up as it is.
    """
    method, path, query, client_id, scopes = key
    pairs = [[name, value if isinstance(value, str) else list(value)] for name, value in query]
    material = [method, path, pairs, falcon.MEDIA_JSON, client_id, sorted(scopes)]
    return hashlib.sha256(json.dumps(material, separators=(",", ":")).encode()).hexdigest()


def _capture(resp: falcon.Response) -> CachedResponse | None:
    if resp.status_code != 200 or not isinstance(resp.data, bytes) or resp.stream is not None:
        return None
    headers = {name: value for name in KEPT_HEADERS if (value := resp.get_header(name))}
    etag = resp.etag.removeprefix("W/").strip('"') if resp.etag else None
    return CachedResponse(resp.content_type or falcon.MEDIA_JSON, resp.data, time.time(), etag, headers)


def _send(req: falcon.Request, resp: falcon.Response, cached: CachedResponse) -> None:
    """The copy as a 200, or a 304 when If-None-Match names its ETag."""
    resp.set_headers(cached.validator_headers)
    resp.set_header("Age", str(cached.age()))
    if cached.etag:
        if not_modified(req, cached.etag):
            resp.status = falcon.HTTP_304
            return
    resp.status = falcon.HTTP_200
    resp.content_type = cached.content_type
    resp.data = cached.body


def _mark(req: falcon.Request, resp: falcon.Response, outcome: str, params: str) -> None:
    req.context.cache = outcome
    resp.set_header("Cache-Status", f"{CACHE_NAME}; {params}")


def _detail(exc: OdooUnavailable) -> str:
    if isinstance(exc, OdooCircuitOpen):
        return "circuit-open"
    if isinstance(exc, OdooTimeout):
        return "odoo-timeout"
    return "odoo-unavailable"
