"""RequestTally: per-request counts kept in process memory, folded into the Prometheus metrics in bulk."""
from __future__ import annotations

import json
import os
import select
import signal
import threading
import time

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.utils import floatToGoString

from smn.metrics import LATENCY_BUCKETS, Metrics, RequestTally, histogram_add_bulk

LABELS = {"method": "GET", "route": "/v1/fork", "status": "200", "client": "acme"}

# One latency child (GET /edges 2xx) gets every bucket bound exactly, values between the bounds, 0 and
# values past the last bound, all from one client and status: its sum is then added in the same order as
# observe() adds it. The other children mix clients and statuses of one class, so the tally merges
# several entries into one child: their values are binary fractions, whose sums are exact in any order.
EDGES = [("GET", "/edges", 200, "acme", seconds)
         for seconds in (*LATENCY_BUCKETS, 0.0, 0.0049, 0.0051, 0.3, 0.7, 29.99, 30.0001, 45.0, 1e6, 0.005, 30.0)]
MIXED = [(method, route, status, client, seconds)
         for method, route in (("GET", "/v1/products/{product_id}"), ("POST", "/v1/orders"))
         for status in (200, 201, 404, 503)
         for client in ("acme", "globex", "-")
         for seconds in (2 ** -9, 2 ** -6, 0.125, 0.75, 3.0, 64.0)]
CACHE = ["hit"] * 5 + ["miss"] * 3 + ["stale", "bypass", "hit"]


def _metrics() -> tuple[CollectorRegistry, Counter, Histogram, Counter]:
    """The three metrics RequestTally writes, as declared in smn.metrics, in a registry of their own."""
    registry = CollectorRegistry()
    requests = Counter("smn_http_requests_total", "Requests.", ["method", "route", "status", "client"],
                       registry=registry)
    latency = Histogram("smn_http_request_duration_seconds", "Latency.", ["method", "route", "status_class"],
                        buckets=LATENCY_BUCKETS, registry=registry)
    cache = Counter("smn_cache_results_total", "Cache results.", ["result"], registry=registry)
    return registry, requests, latency, cache


def _exposition(registry: CollectorRegistry) -> str:
    """The text a scrape gets, without the `_created` timestamps (each metric's own creation time)."""
    return "\n".join(line for line in generate_latest(registry).decode().splitlines() if "_created" not in line)


def _observe_each(samples: list[tuple], cache_results: list[str]) -> CollectorRegistry:
    """What the middleware used to do: one inc() and one observe() per request."""
    registry, requests, latency, cache = _metrics()
    for method, route, status, client, seconds in samples:
        requests.labels(method, route, str(status), client).inc()
        latency.labels(method, route, f"{status // 100}xx").observe(seconds)
    for result in cache_results:
        cache.labels(result).inc()
    return registry


def _tally() -> tuple[CollectorRegistry, RequestTally]:
    registry, requests, latency, cache = _metrics()
    return registry, RequestTally(requests, latency, cache, LATENCY_BUCKETS)


def test_folding_the_tally_gives_the_exposition_of_one_observe_per_request():
    registry, tally = _tally()
    for sample in EDGES + MIXED:
        tally.add_request(*sample)
    for result in CACHE:
        tally.add_cache(result)
    tally.fold()

    expected = _exposition(_observe_each(EDGES + MIXED, CACHE))
    assert _exposition(registry) == expected
    assert 'smn_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/edges",status_class="2xx"} 4.0' \
        in expected
    assert 'smn_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/edges",status_class="2xx"} 23.0' \
        in expected
    tally.fold()
    assert _exposition(registry) == expected, "a fold with nothing pending writes nothing"


def test_successive_folds_add_up_to_the_same_exposition():
    registry, tally = _tally()
    for start in range(0, len(MIXED), 17):
        for sample in MIXED[start:start + 17]:
            tally.add_request(*sample)
        tally.add_cache(CACHE[start % len(CACHE)])
        tally.fold()
    assert _exposition(registry) == _exposition(_observe_each(MIXED, [CACHE[start % len(CACHE)]
                                                                      for start in range(0, len(MIXED), 17)]))


def test_requests_wait_in_a_bounded_queue_and_fold_to_the_same_exposition(monkeypatch):
    registry, tally = _tally()
    monkeypatch.setattr(tally, "MAX_PENDING", 10)
    for sample in MIXED:
        tally.add_request(*sample)
        assert len(tally._pending_requests) <= 10, "past MAX_PENDING the request thread sums the queue"
    for result in CACHE * 3:
        tally.add_cache(result)
        assert len(tally._pending_cache) <= 10
    assert _exposition(registry) == _exposition(_metrics()[0]), "nothing reaches the metrics before a fold"
    tally.fold()
    assert _exposition(registry) == _exposition(_observe_each(MIXED, CACHE * 3))


def test_requests_added_while_folding_are_all_counted():
    registry, tally = _tally()
    stop = threading.Event()
    added = []

    def add() -> None:
        while not stop.is_set():
            tally.add_request("GET", "/v1/race", 200, "acme", 0.001)
            added.append(1)

    adder = threading.Thread(target=add)
    adder.start()
    try:
        for _ in range(50):
            tally.fold()
    finally:
        stop.set()
        adder.join()
    tally.fold()
    # prometheus-client writes a count past 999,999 as 1.02119e+06: compare the way it writes numbers
    count = floatToGoString(float(len(added)))
    assert f'smn_http_requests_total{{client="acme",method="GET",route="/v1/race",status="200"}} {count}' \
        in _exposition(registry)


def test_bulk_add_needs_one_count_per_bucket():
    _, _, latency, _ = _metrics()
    with pytest.raises(ValueError):
        histogram_add_bulk(latency.labels("GET", "/", "2xx"), 1.0, [1] * len(LATENCY_BUCKETS))


def test_metrics_folds_on_refresh_render_and_close():
    registry, tally = _tally()
    metrics = Metrics(3600.0, tally)
    tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
    metrics.refresh()
    assert registry.get_sample_value("smn_http_requests_total", LABELS) == 1
    tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
    metrics.render()
    assert registry.get_sample_value("smn_http_requests_total", LABELS) == 2
    tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
    metrics.close()
    assert registry.get_sample_value("smn_http_requests_total", LABELS) == 3


def test_the_refresher_thread_folds_every_interval():
    registry, tally = _tally()
    metrics = Metrics(0.05, tally)
    metrics.ensure_started()
    try:
        tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
        deadline = time.monotonic() + 5
        while registry.get_sample_value("smn_http_requests_total", LABELS) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert registry.get_sample_value("smn_http_requests_total", LABELS) == 1
    finally:
        metrics._stop.set()


def test_a_forked_child_does_not_count_the_parents_pending_requests():
    registry, tally = _tally()
    metrics = Metrics(3600.0, tally)
    metrics.ensure_started()
    for _ in range(3):
        tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
    tally.add_cache("hit")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_end)
            thread_forgotten = metrics._thread is None
            metrics.refresh()
            inherited = registry.get_sample_value("smn_http_requests_total", LABELS)
            tally.add_request("GET", "/v1/fork", 200, "acme", 0.02)
            metrics.close()
            report = {"inherited": inherited, "own": registry.get_sample_value("smn_http_requests_total", LABELS),
                      "cache": registry.get_sample_value("smn_cache_results_total", {"result": "hit"}),
                      "thread_forgotten": thread_forgotten}
            os.write(write_end, json.dumps(report).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        report = json.loads(os.read(read_end, 4096) or b"null")
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    metrics.close()

    assert report == {"inherited": None, "own": 1.0, "cache": None, "thread_forgotten": True}
    assert registry.get_sample_value("smn_http_requests_total", LABELS) == 3, "the parent folds its own"
    assert registry.get_sample_value("smn_cache_results_total", {"result": "hit"}) == 1
