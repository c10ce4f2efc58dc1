"""Prometheus metrics, summed across gunicorn workers (prometheus-client multiprocess mode).

gunicorn_conf.py gives every server a fresh PROMETHEUS_MULTIPROC_DIR before the
workers start; each worker writes its samples to memory-mapped files there and
/metrics (served by whichever worker the scrape reaches) reads them all.
Without that variable (tests, `python -m smn` tools) samples stay in-process.

Per-request cost is one counter increment and one histogram observation
(docs/performance.md has the measured microseconds). Values that live in a
worker's memory (auth view, circuit, bulkhead) are copied into gauges by a
background thread every SMN_METRICS_REFRESH_INTERVAL seconds, because a
multiprocess scrape reads files, never the other workers' memory. Values that
live in PostgreSQL (the outbox backlog) are read by the worker serving the
scrape, through the hooks registered with `on_scrape`.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

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
OUTBOX_BACKLOG = Gauge("smn_outbox_backlog", "Outbox jobs waiting to be delivered to Odoo.", ["state"],
                       multiprocess_mode="mostrecent")
OUTBOX_OLDEST_AGE = Gauge("smn_outbox_oldest_age_seconds", "Age of the oldest waiting outbox job.",
                          multiprocess_mode="mostrecent")


_request_children: dict[tuple[str, str, int, str], tuple] = {}


def observe_request(method: str, route: str, status: int, client: str, seconds: float) -> None:
    """Children are memoised per label set: `labels()` validates and locks on every call."""
    key = (method, route, status, client)
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (HTTP_REQUESTS.labels(method, route, str(status), client),
                                              HTTP_LATENCY.labels(method, route, f"{status // 100}xx"))
    children[0].inc()
    children[1].observe(seconds)


_cache_children: dict[str, Counter] = {}


def observe_cache(result: str) -> None:
    child = _cache_children.get(result)
    if child is None:
        child = _cache_children[result] = CACHE_RESULTS.labels(result)
    child.inc()


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
    """This process's metric plumbing: the gauge refresher thread and the scrape hooks."""

    def __init__(self, refresh_interval: float) -> None:
        self.refresh_interval = refresh_interval
        self._refreshers: list[Callable[[], None]] = []
        self._scrape_hooks: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

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
        for refresh in self._refreshers:
            try:
                refresh()
            except Exception:
                log.exception("metrics refresh failed")

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.refresh_interval):
            self.refresh()

    def render(self) -> tuple[bytes, str]:
        """The exposition text of every worker (multiprocess) or of this process alone."""
        self.refresh()
        for hook in self._scrape_hooks:
            try:
                hook()
            except Exception as exc:
                log.warning("metrics scrape hook failed", extra={"error": type(exc).__name__})
        return generate_latest(_registry()), CONTENT_TYPE_LATEST


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


def outbox_hook(outbox) -> Callable[[], None]:
    """Reads the outbox backlog from PostgreSQL (smn.outbox.store.OutboxStore.backlog) at scrape time."""

    def hook() -> None:
        backlog = outbox.backlog()
        observe_outbox({"queued": backlog.queued, "running": backlog.running}, backlog.oldest_queued_age)

    return hook
