"""Per-client rate limits: token leases from PostgreSQL, served from memory, shared by every process."""
from __future__ import annotations

import json
import threading
import time

import pytest

from smn.ratelimit import LeaseStore, RateLimiter
from tests.auth.helpers import sql, wait_until
from tests.auth.test_gunicorn_revocation import Gunicorn, _request
from tests.fixtures.auth import bearer
from tests.helpers.database_use import count_database_use

WHOAMI = "/v1/auth/whoami"


@pytest.fixture()
def limited(client, make_client, token_for):
    """make(rate, burst) -> (api client, bearer headers) of a fresh client with that limit."""

    def make(rate: float, burst: int, scopes=("products:read",)):
        api_client = make_client(list(scopes), rate_per_second=rate, burst=burst)
        return api_client, bearer(token_for(api_client))

    return make


def test_burst_then_429_problem_with_ratelimit_headers(client, limited):
    _, headers = limited(0.5, 3)
    answers = [client.simulate_get(WHOAMI, headers=headers) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["ratelimit-remaining"] for answer in answers[:3]] == ["2", "1", "0"]
    assert all(answer.headers["ratelimit-limit"] == "3" for answer in answers)
    assert answers[0].headers["ratelimit-policy"] == '3;w=6;comment="token bucket, 0.5/s"'
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json["type"] == "/problems/rate-limited" and refused.json["status"] == 429
    assert refused.json["request_id"] == refused.headers["x-request-id"]
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"] == "2"
    assert refused.headers["ratelimit-remaining"] == "0"


def test_refill_admits_again_after_retry_after(client, limited):
    _, headers = limited(20, 1)
    assert client.simulate_get(WHOAMI, headers=headers).status_code == 200
    assert client.simulate_get(WHOAMI, headers=headers).status_code == 429
    time.sleep(0.1)
    assert client.simulate_get(WHOAMI, headers=headers).status_code == 200


def test_clients_without_a_rate_are_not_limited_by_default(client, auth_headers):
    headers = auth_headers("products:read")
    answers = [client.simulate_get(WHOAMI, headers=headers) for _ in range(30)]
    assert {answer.status_code for answer in answers} == {200}
    assert "ratelimit-limit" not in answers[0].headers


def test_public_routes_are_not_limited(client):
    assert "ratelimit-limit" not in client.simulate_get("/healthz").headers


def test_a_clients_policy_is_worked_out_once_per_record(monkeypatch):
    from types import SimpleNamespace

    from smn.middleware.rate_limit import RateLimitMiddleware

    middleware = RateLimitMiddleware(limiter=None, default_rate=5, default_burst=0)
    worked_out = []
    original = middleware.policy
    monkeypatch.setattr(middleware, "policy", lambda client: worked_out.append(client) or original(client))
    record = SimpleNamespace(client_id="smn_policy", rate_per_second=2.0, burst=None)
    assert [middleware.client_policy(record) for _ in range(5)] == [(2.0, 4)] * 5
    assert len(worked_out) == 1
    changed = SimpleNamespace(client_id="smn_policy", rate_per_second=None, burst=7)
    assert middleware.client_policy(changed) == (5.0, 7)
    assert middleware.client_policy(SimpleNamespace(client_id="smn_unlimited", rate_per_second=0, burst=None)) == (
        5.0, 10)
    assert len(worked_out) == 3


def test_rejections_are_counted_in_metrics(client, limited, make_client, token_for):
    api_client, headers = limited(0.1, 1)
    client.simulate_get(WHOAMI, headers=headers)
    client.simulate_get(WHOAMI, headers=headers)
    scraper = bearer(token_for(make_client(["metrics:read"])))
    text = client.simulate_get("/metrics", headers=scraper).text
    assert f'smn_rate_limit_rejections_total{{client="{api_client.client_id}"}} 1.0' in text


@pytest.fixture()
def db_use_on_this_thread(monkeypatch):
    """What the calling (request) thread does with PostgreSQL."""
    me = threading.get_ident()
    return count_database_use(monkeypatch, lambda: threading.get_ident() == me)


def test_cached_product_read_makes_no_database_query(client, limited, db_use_on_this_thread):
    _, headers = limited(1000, 1000)
    listing = client.simulate_get("/v1/products", params={"limit": 1}, headers=headers)
    assert listing.status_code == 200, listing.text
    path = f"/v1/products/{listing.json['items'][0]['id']}"
    assert client.simulate_get(path, headers=headers).status_code == 200  # fills the fresh cache
    db_use_on_this_thread.clear()

    answers = [client.simulate_get(path, headers=headers) for _ in range(50)]

    assert {answer.status_code for answer in answers} == {200}
    assert all("ratelimit-remaining" in answer.headers for answer in answers)
    assert db_use_on_this_thread == []


def test_two_limiters_share_one_bucket(database_url):
    """Two processes' worth of limiters, four threads each, hammering one client for 2 s."""
    rate, burst, seconds = 50.0, 20, 2.0
    limiters = [RateLimiter(LeaseStore(database_url), lease_wait=0.5) for _ in range(2)]
    accepted = [0]
    lock = threading.Lock()
    started = time.monotonic()

    def hammer(limiter: RateLimiter) -> None:
        while time.monotonic() - started < seconds:
            if limiter.acquire("two-limiters", rate, burst).allowed:
                with lock:
                    accepted[0] += 1
            time.sleep(0.001)

    threads = [threading.Thread(target=hammer, args=(limiter,)) for limiter in limiters for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for limiter in limiters:
        limiter.close()

    ceiling = burst + rate * elapsed
    assert accepted[0] <= ceiling + 1
    assert accepted[0] >= ceiling - 2 * limiters[0]._block(limiters[0]._buckets["two-limiters"]) - rate * 0.1


def test_unused_tokens_are_given_back_after_idling(database_url):
    limiter = RateLimiter(LeaseStore(database_url), lease_wait=0.5, horizon=1.0, idle_return=0.2)
    assert limiter.acquire("give-back", 10.0, 10).allowed
    held = limiter._buckets["give-back"].tokens
    assert held == 9  # leased max(demand, rate x horizon) = 10, spent 1
    wait_until(lambda: "give-back" not in limiter._buckets, timeout=5)
    limiter.close()
    (tokens,) = sql(database_url, "SELECT tokens FROM rate_limit_buckets WHERE client_id = 'give-back'")[0]
    assert tokens >= 9


def test_unreachable_database_fails_open_per_process(free_port_url):
    limiter = RateLimiter(LeaseStore(free_port_url, connect_timeout=1), lease_wait=0.2)
    verdicts = [limiter.acquire("no-db", 0.5, 3).allowed for _ in range(5)]
    limiter.close()
    assert verdicts == [True, False, False, False, False]  # one token to start, then the rate


@pytest.fixture()
def free_port_url():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://nobody@127.0.0.1:{port}/nothing"


@pytest.mark.slow
def test_limit_holds_across_two_gunicorn_masters(settings, sandbox, tmp_path, make_client, artifacts_dir):
    """Two gunicorn masters (2 workers each) on one database; one client at rate R hammers both for a few s."""
    rate, burst, seconds = 20.0, 10, 4.0
    acme = make_client(["products:read"], rate_per_second=rate, burst=burst)
    servers = []
    try:
        for n in range(2):
            server = Gunicorn(settings, sandbox, tmp_path / f"gunicorn-{n}.log")
            server.env["SMN_WORKERS"] = "2"
            servers.append(server.start())
        token = servers[0].issue(acme)
        statuses: list[int] = []
        lock = threading.Lock()
        started = time.monotonic()

        def hammer(server: Gunicorn) -> None:
            while time.monotonic() - started < seconds:
                status = _request(f"{server.base}{WHOAMI}", bearer(token))[0]
                with lock:
                    statuses.append(status)

        threads = [threading.Thread(target=hammer, args=(server,)) for server in servers for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        for server in servers:
            server.stop()

    accepted, refused = statuses.count(200), statuses.count(429)
    expected = burst + rate * elapsed
    report = {"rate": rate, "burst": burst, "seconds": round(elapsed, 3), "processes": 4,
              "requests": len(statuses), "accepted": accepted, "refused": refused,
              "expected_max": round(expected, 1)}
    (artifacts_dir / "rate_limit_two_masters.json").write_text(json.dumps(report, indent=2))
    print(f"\nrate limit across 2 masters x 2 workers: {report}")
    assert accepted + refused == len(statuses)
    assert refused > 0
    # Never more than the bucket allows; at most about one lease block per process held back at the end.
    assert accepted <= expected + 1
    assert accepted >= expected - 4 * 2 - rate * 0.25
