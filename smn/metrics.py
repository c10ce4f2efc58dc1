"""Prometheus metrics, summed across gunicorn workers (prometheus-client multiprocess mode).

gunicorn_conf.py gives every server a fresh PROMETHEUS_MULTIPROC_DIR before the
workers start; each worker writes its samples to memory-mapped files there and
/metrics (served by whichever worker the scrape reaches) reads them all.
Without that variable (tests, `python -m smn` tools) samples stay in-process.

Per request, the middleware only adds to this process's RequestTally (one
append to a deque): writing a multiprocess
sample takes a lock and an mmap write per value. The tally is folded into the
request counter, latency histogram and cache counter in bulk by the background
thread every SMN_METRICS_REFRESH_INTERVAL seconds, before every /metrics answer
(so a worker's scrape includes its own latest requests) and when the worker
closes; another worker's requests reach a scrape within that interval (a
worker killed without closing loses at most that much). Values that live in a
worker's memory (auth view, circuit, bulkhead) are copied into gauges by the
same thread, because a multiprocess scrape reads files, never the other
workers' memory. Values that live in PostgreSQL (the outbox backlog) are read
by the worker serving the scrape, through the hooks registered with `on_scrape`.
"""
from __future__ import annotations

import collections
import logging
import os
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("smn.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CIRCUIT_STATES = {"closed": 0, "half-open": 1, "open": 2}

HTTP_REQUESTS = Counter(
    "smn_http_requests_total", "Requests answered, by route template, status and API client.",
    ["method", "route", "status", "client"])
HTTP_LATENCY = Histogram(
    "smn_http_request_duration_seconds", "Time to answer a request, by route template and status class.",
    ["method", "route", "status_class"], buckets=LATENCY_BUCKETS)
CACHE_RESULTS = Counter(
    "smn_cache_results_total", "Partner reads by read-cache result: hit, miss, stale (served while Odoo is down), "
    "bypass.", ["result"])
RATE_LIMITED = Counter("smn_rate_limit_rejections_total", "Requests refused with 429 by the rate limiter.",
                       ["client"])
ODOO_CALLS = Counter("smn_odoo_calls_total", "HTTP round trips to Odoo, by model, method and outcome.",
                     ["model", "method", "outcome"])
ODOO_LATENCY = Histogram("smn_odoo_call_duration_seconds", "Duration of HTTP round trips to Odoo.",
                         ["model", "method"], buckets=LATENCY_BUCKETS)
ODOO_CIRCUIT = Gauge("smn_odoo_circuit_state", "Circuit breaker state per worker: 0 closed, 1 half-open, 2 open.",
                     multiprocess_mode="liveall")
ODOO_CIRCUIT_CHANGES = Counter("smn_odoo_circuit_transitions_total", "Circuit breaker state changes.", ["state"])
ODOO_IN_FLIGHT = Gauge("smn_odoo_in_flight", "Odoo calls in flight (bulkhead slots held), summed over workers.",
                       multiprocess_mode="livesum")
ODOO_BULKHEAD_REJECTED = Counter("smn_odoo_bulkhead_rejections_total",
                                 "Odoo calls refused by the bulkhead (no free slot in time).")
AUTH_VIEW_ENTRIES = Gauge("smn_auth_view_entries", "Entries in the in-memory auth view (largest over workers).",
                          ["kind"], multiprocess_mode="livemax")
AUTH_VIEW_AGE = Gauge("smn_auth_view_sync_age_seconds", "Seconds since the auth view was last fully reloaded "
                      "(oldest over workers; resolution SMN_METRICS_REFRESH_INTERVAL).", multiprocess_mode="livemax")
SNAPSHOT_COPIES = Counter("smn_snapshot_copies_total", "Last-known-good copies of partner reads: written to "
                          "PostgreSQL, dropped (write-behind queue full) or failed (the write failed).", ["outcome"])
OUTBOX_BACKLOG = Gauge("smn_outbox_backlog", "Outbox jobs waiting to be delivered to Odoo.", ["state"],
                       multiprocess_mode="mostrecent")
OUTBOX_OLDEST_AGE = Gauge("smn_outbox_oldest_age_seconds", "Age of the oldest waiting outbox job.",
                          multiprocess_mode="mostrecent")


def histogram_add_bulk(child: Histogram, total: float, bucket_counts: Sequence[int]) -> None:
    """Add many observations to one Histogram child: their summed value and how many fell in each bucket.

    prometheus-client has no public bulk API. Histogram.observe(amount) does `_sum.inc(amount)` and
    `_buckets[i].inc(1)` for the first upper bound >= amount (buckets are stored per bucket and made
    cumulative, with `_count`, at exposition); this does the same once per fold instead of once per request.
    tests/middleware/test_metrics_tally.py checks the exposition equals per-sample observe(), so a
    prometheus-client upgrade that changes these internals fails there. `bucket_counts` follows the
    child's upper bounds, +Inf last.
    """
    if len(bucket_counts) != len(child._buckets):
        raise ValueError(f"{len(bucket_counts)} bucket counts for {len(child._buckets)} buckets")
    child._sum.inc(total)
    for value, count in zip(child._buckets, bucket_counts):
        if count:
            value.inc(count)


class RequestTally:
    """This process's requests and cache results not yet written to the Prometheus metrics.

    `add_request` / `add_cache` run on every request: one append to a deque (thread-safe without a
    lock). `fold` drains the deques into per-label sums and adds those to the counters and the histogram
    in bulk, with the same labels and bucket semantics (value <= upper bound, +Inf last) as calling
    inc()/observe() per request; the request thread no longer takes a lock or updates a dict (issue #7,
    fifth pass: in process about 1 µs, within the bench's noise under gunicorn). Past
    MAX_PENDING unfolded requests (a stalled refresher) the request thread sums them itself, so memory
    stays bounded. After a fork the child drops the parent's pending counts (the parent still folds
    them), so nothing is counted twice.
    """

    MAX_PENDING = 65536

    def __init__(self, requests: Counter, latency: Histogram, cache: Counter, buckets: Sequence[float]) -> None:
        self._requests_metric = requests
        self._latency_metric = latency
        self._cache_metric = cache
        bounds = tuple(float(bound) for bound in buckets)
        self._bounds = bounds if bounds and bounds[-1] == float("inf") else bounds + (float("inf"),)
        self._lock = threading.Lock()
        self._pending_requests: collections.deque[tuple[str, str, int, str, float]] = collections.deque()
        self._pending_cache: collections.deque[str] = collections.deque()
        # (method, route, status, client) -> [sum of seconds, count in bucket 0, ..., count in +Inf]
        self._requests: dict[tuple[str, str, int, str], list] = {}
        self._cache: dict[str, int] = {}
        self._request_children: dict[tuple[str, str, int, str], Counter] = {}
        self._latency_children: dict[tuple[str, str, str], Histogram] = {}
        self._cache_children: dict[str, Counter] = {}
        _tallies.add(self)

    def add_request(self, method: str, route: str, status: int, client: str, seconds: float) -> None:
        pending = self._pending_requests
        pending.append((method, route, status, client, seconds))
        if len(pending) > self.MAX_PENDING:
            self._sum_pending()

    def add_cache(self, result: str) -> None:
        self._pending_cache.append(result)
        if len(self._pending_cache) > self.MAX_PENDING:
            self._sum_pending()

    def _sum_pending(self) -> None:
        """Move the queued requests and cache results into the per-label sums."""
        with self._lock:
            _drain(self._pending_requests, self._add_to_sums)
            _drain(self._pending_cache, self._add_to_cache_counts)

    def _add_to_sums(self, sample: tuple[str, str, int, str, float]) -> None:
        method, route, status, client, seconds = sample
        key = (method, route, status, client)
        entry = self._requests.get(key)
        if entry is None:
            entry = self._requests[key] = [0.0] + [0] * len(self._bounds)
        entry[0] += seconds
        entry[bisect_left(self._bounds, seconds) + 1] += 1

    def _add_to_cache_counts(self, result: str) -> None:
        self._cache[result] = self._cache.get(result, 0) + 1

    def fold(self) -> None:
        """Write what is pending into the Prometheus metrics (children memoised: labels() validates and locks)."""
        self._sum_pending()
        with self._lock:
            requests, self._requests = self._requests, {}
            cache, self._cache = self._cache, {}
        latency: dict[tuple[str, str, str], list] = {}
        for key, entry in requests.items():
            child = self._request_children.get(key)
            if child is None:
                method, route, status, client = key
                child = self._request_children[key] = self._requests_metric.labels(method, route, str(status),
                                                                                  client)
            child.inc(sum(entry[1:]))
            latency_key = (key[0], key[1], f"{key[2] // 100}xx")
            merged = latency.get(latency_key)
            if merged is None:
                latency[latency_key] = entry
            else:
                latency[latency_key] = [a + b for a, b in zip(merged, entry)]
        for key, entry in latency.items():
            child = self._latency_children.get(key)
            if child is None:
                child = self._latency_children[key] = self._latency_metric.labels(*key)
            histogram_add_bulk(child, entry[0], entry[1:])
        for result, count in cache.items():
            child = self._cache_children.get(result)
            if child is None:
                child = self._cache_children[result] = self._cache_metric.labels(result)
            child.inc(count)

    def _forget(self) -> None:
        """In a forked child: the parent's pending counts are the parent's to fold; its lock may be held."""
        self._lock = threading.Lock()
        self._pending_requests = collections.deque()
        self._pending_cache = collections.deque()
        self._requests = {}
        self._cache = {}


def _drain(queue: collections.deque, consume: Callable[[Any], None]) -> None:
    """popleft until empty: safe while other threads append (they are consumed now or at the next drain)."""
    while True:
        try:
            item = queue.popleft()
        except IndexError:
            return
        consume(item)


_tallies: weakref.WeakSet[RequestTally] = weakref.WeakSet()
TALLY = RequestTally(HTTP_REQUESTS, HTTP_LATENCY, CACHE_RESULTS, LATENCY_BUCKETS)
"""This process's tally; Metrics folds it."""


def observe_request(method: str, route: str, status: int, client: str, seconds: float) -> None:
    """Counted in this process's tally, written to the metrics at the next fold."""
    TALLY.add_request(method, route, status, client, seconds)


def observe_cache(result: str) -> None:
    """Counted in this process's tally, written to the metrics at the next fold."""
    TALLY.add_cache(result)


def observe_rate_limited(client_id: str) -> None:
    RATE_LIMITED.labels(client_id).inc()


def observe_odoo_call(model: str, method: str, outcome: str, seconds: float) -> None:
    """The Odoo client's call_observer."""
    ODOO_CALLS.labels(model, method, outcome).inc()
    ODOO_LATENCY.labels(model, method).observe(seconds)


def observe_bulkhead_rejection() -> None:
    ODOO_BULKHEAD_REJECTED.inc()


def observe_circuit(old: str, new: str) -> None:
    """A CircuitBreaker.on_change callback."""
    ODOO_CIRCUIT.set(CIRCUIT_STATES.get(new, 2))
    ODOO_CIRCUIT_CHANGES.labels(new).inc()


def observe_outbox(backlog: dict[str, int], oldest_age: float | None) -> None:
    """Record the outbox backlog (jobs per state, age of the oldest waiting job)."""
    for state, count in backlog.items():
        OUTBOX_BACKLOG.labels(state).set(count)
    OUTBOX_OLDEST_AGE.set(oldest_age or 0.0)


class Metrics:
    """This process's metric plumbing: the refresher thread (tally fold, gauges) and the scrape hooks."""

    def __init__(self, refresh_interval: float, tally: RequestTally = TALLY) -> None:
        self.refresh_interval = refresh_interval
        self.tally = tally
        self._refreshers: list[Callable[[], None]] = []
        self._scrape_hooks: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        _registries.add(self)

    def every_refresh(self, refresh: Callable[[], None]) -> None:
        """Run `refresh` (which sets gauges from this process's memory) every refresh interval."""
        self._refreshers.append(refresh)

    def on_scrape(self, hook: Callable[[], None]) -> None:
        """Run `hook` (which sets gauges from shared state, e.g. PostgreSQL) before each /metrics answer."""
        self._scrape_hooks.append(hook)

    def ensure_started(self) -> None:
        """Start this process's refresher once (called from the first request, after gunicorn's fork)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self.refresh()
                self._thread = threading.Thread(target=self._run, name="smn-metrics", daemon=True)
                self._thread.start()

    def refresh(self) -> None:
        """Fold the request tally into the metrics, then copy this process's values into the gauges."""
        self._fold()
        for refresh in self._refreshers:
            try:
                refresh()
            except Exception:
                log.exception("metrics refresh failed")

    def close(self) -> None:
        """Fold what this process still holds (gunicorn's worker_exit gets here via Services.close), then stop."""
        self._fold()
        self._stop.set()

    def _fold(self) -> None:
        try:
            self.tally.fold()
        except Exception:
            log.exception("metrics tally fold failed")

    def _forget_thread(self) -> None:
        """In a forked child the refresher thread does not exist: the first request starts the child's own."""
        self._thread = None
        self._lock = threading.Lock()

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_interval):
            self.refresh()

    def render(self) -> tuple[bytes, str]:
        """The exposition text of every worker (multiprocess) or of this process alone.

        Folds this process's tally first, so the worker serving the scrape reports its own latest requests.
        """
        self.refresh()
        for hook in self._scrape_hooks:
            try:
                hook()
            except Exception as exc:
                log.warning("metrics scrape hook failed", extra={"error": type(exc).__name__})
        return generate_latest(_registry()), CONTENT_TYPE_LATEST


_registries: weakref.WeakSet[Metrics] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for tally in list(_tallies):
        tally._forget()
    for registry in list(_registries):
        registry._forget_thread()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _registry() -> CollectorRegistry:
    try:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    except ValueError:
        return REGISTRY


def auth_view_refresher(state) -> Callable[[], None]:
    """Copies the auth view's sizes and sync age into the gauges."""

    def refresh() -> None:
        for kind, count in state.counts().items():
            AUTH_VIEW_ENTRIES.labels(kind).set(count)
        loaded_at = getattr(state, "loaded_at", None)
        if loaded_at:
            AUTH_VIEW_AGE.set(max(0.0, time.time() - loaded_at))

    return refresh


def odoo_refresher(odoo) -> Callable[[], None]:
    """Copies the circuit state and the calls in flight into the gauges."""

    def refresh() -> None:
        breaker = getattr(odoo, "breaker", None)
        if breaker is not None:
            ODOO_CIRCUIT.set(CIRCUIT_STATES.get(breaker.state, 2))
        bulkhead = getattr(odoo, "bulkhead", None)
        if bulkhead is not None:
            ODOO_IN_FLIGHT.set(bulkhead.in_flight)

    return refresh


def snapshot_refresher(writer) -> Callable[[], None]:
    """Adds what the snapshot writer (smn.cache.snapshots.SnapshotWriter) wrote, dropped and failed since last time."""
    reported = dict.fromkeys(("written", "dropped", "failed"), 0)

    def refresh() -> None:
        for outcome, before in reported.items():
            now = getattr(writer, outcome)
            if now > before:
                SNAPSHOT_COPIES.labels(outcome).inc(now - before)
                reported[outcome] = now

    return refresh


def outbox_hook(outbox) -> Callable[[], None]:
    """Reads the outbox backlog from PostgreSQL (smn.outbox.store.OutboxStore.backlog) at scrape time."""

    def hook() -> None:
        backlog = outbox.backlog()
        observe_outbox({"queued": backlog.queued, "running": backlog.running}, backlog.oldest_queued_age)

    return hook
