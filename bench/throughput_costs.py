"""Per-request costs of the metrics middleware and the rate limiter, and one lease from PostgreSQL vs Redis.

    .venv/bin/python -m bench.throughput_costs DATABASE_URL [REDIS_PORT]

DATABASE_URL: a migrated SMN database. REDIS_PORT: a redis-server on 127.0.0.1
(optional; `redis-server --port 6399 --save ''`), measured with the `redis`
package when installed. Prints one JSON object of microsecond figures.
"""
from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import timeit

import falcon
from falcon import testing

from smn.metrics import Metrics
from smn.middleware.context import ContextMiddleware
from smn.middleware.metrics import MetricsMiddleware
from smn.ratelimit import LeaseStore, RateLimiter

REDIS_LEASE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local row = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(row[1]), tonumber(row[2])
if tokens == nil then tokens, at = burst, t end
tokens = math.min(burst, tokens + rate * math.max(0, t - at))
local take = math.max(0, math.min(want, math.floor(tokens)))
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - take), 'at', tostring(math.max(t, at)))
return {take, tostring(tokens - take)}
"""


class _Ok:
    auth = {"public": True}

    def on_get(self, req: falcon.Request, resp: falcon.Response, item_id: int) -> None:
        resp.media = {"id": item_id}


def _app(with_metrics: bool) -> falcon.App:
    middleware = [ContextMiddleware()]
    if with_metrics:
        middleware.append(MetricsMiddleware(Metrics(3600)))
    app = falcon.App(middleware=middleware)
    app.add_route("/ok/{item_id:int}", _Ok())
    return app


def _per_request_us(app: falcon.App, number: int = 20_000) -> float:
    environ = testing.create_environ("/ok/7")

    def start_response(status, headers, exc_info=None):
        return None

    def call() -> None:
        for _ in app(dict(environ), start_response):
            pass

    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def _acquire_us(database_url: str, number: int = 200_000) -> float:
    limiter = RateLimiter(LeaseStore(database_url), lease_wait=1.0)
    limiter.acquire("bench-acquire", 1e9, 10**9)
    time.sleep(0.2)
    best = min(timeit.repeat(lambda: limiter.acquire("bench-acquire", 1e9, 10**9), number=number, repeat=5))
    limiter.close()
    return best / number * 1e6


def _round_trips_us(lease, count: int = 2000) -> dict[str, float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        lease()
        samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return {"p50_us": round(statistics.median(samples), 1), "p99_us": round(samples[int(count * 0.99)], 1)}


def _concurrent_per_s(make_lease, threads: int = 4, seconds: float = 2.0) -> float:
    done = [0] * threads
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        lease = make_lease()
        while time.monotonic() < stop:
            lease()
            done[index] += 1

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return round(sum(done) / seconds)


def main(argv: list[str]) -> None:
    database_url = argv[0]
    report: dict[str, object] = {
        "request_without_metrics_us": round(_per_request_us(_app(False)), 2),
        "request_with_metrics_us": round(_per_request_us(_app(True)), 2),
        "rate_limit_acquire_us": round(_acquire_us(database_url), 3),
    }
    report["metrics_cost_us"] = round(report["request_with_metrics_us"] - report["request_without_metrics_us"], 2)

    def pg_lease_factory():
        store = LeaseStore(database_url)
        return lambda: store.lease("bench-lease", 1e6, 10**6, 10)

    report["postgresql_lease"] = _round_trips_us(pg_lease_factory())
    report["postgresql_leases_per_s_4_threads_one_client"] = _concurrent_per_s(pg_lease_factory)
    if len(argv) > 1:
        import redis

        def redis_lease_factory():
            connection = redis.Redis(host="127.0.0.1", port=int(argv[1]))
            script = connection.register_script(REDIS_LEASE)
            return lambda: script(keys=["bench-lease"], args=[1e6, 10**6, 10])

        report["redis_lease"] = _round_trips_us(redis_lease_factory())
        report["redis_leases_per_s_4_threads_one_client"] = _concurrent_per_s(redis_lease_factory)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
