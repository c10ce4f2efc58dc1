"""The Odoo bulkhead: at most N calls in flight per process; beyond, a short wait, then 503 + Retry-After."""
from __future__ import annotations

import threading
import time

import pytest

from smn.odoo.breaker import CLOSED
from smn.odoo.bulkhead import Bulkhead, OdooBusy
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooUnavailable


@pytest.fixture()
def odoo(sandbox):
    client = OdooClient(sandbox.url, "smn_demo", "admin", password="admin", pool_size=32)
    client.bulkhead = Bulkhead(limit=3, wait=0.1)
    yield client
    client.close()


def _in_threads(count: int, action) -> list:
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            results[index] = action()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_calls_beyond_the_cap_are_refused_after_the_wait(odoo, sandbox):
    odoo.search_count("res.partner")  # authenticate outside the measured burst
    sandbox.set_latency(0.5)
    calls_before = len(sandbox.calls)
    started = time.monotonic()

    results = _in_threads(12, lambda: odoo.search_count("res.partner"))

    elapsed = time.monotonic() - started
    busy = [result for result in results if isinstance(result, OdooBusy)]
    served = [result for result in results if isinstance(result, int)]
    assert len(served) == 3 and len(busy) == 9, results
    assert len(sandbox.calls) - calls_before == 3  # Odoo saw only what the bulkhead let through
    assert all(isinstance(error, OdooUnavailable) and error.http_status == 503 for error in busy)
    assert odoo.bulkhead.rejected == 9 and odoo.bulkhead.in_flight == 0
    assert odoo.breaker.state == CLOSED  # a full bulkhead says nothing about Odoo's health
    assert elapsed < 5


def test_waiting_calls_get_a_slot_freed_within_the_wait(odoo, sandbox):
    odoo.search_count("res.partner")
    odoo.bulkhead.wait = 2.0
    sandbox.set_latency(0.2)

    results = _in_threads(6, lambda: odoo.search_count("res.partner"))

    assert all(isinstance(result, int) for result in results), results
    assert odoo.bulkhead.rejected == 0


def test_busy_maps_to_503_problem_with_retry_after(app, client, services, sandbox, auth_headers):
    headers = auth_headers("partners:read")
    bulkhead = services.odoo.bulkhead
    assert bulkhead is not None and bulkhead.limit == services.settings.odoo_max_concurrency
    held = [bulkhead._slots.acquire() for _ in range(bulkhead.limit)]
    try:
        response = client.simulate_get("/v1/partners", params={"limit": 2, "offset": 3}, headers=headers)
    finally:
        for _ in held:
            bulkhead._slots.release()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    assert client.simulate_get("/v1/partners", params={"limit": 1}, headers=headers).status_code == 200


def test_settings_reject_a_zero_cap():
    from smn.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="SMN_ODOO_MAX_CONCURRENCY"):
        Settings.from_env({"SMN_ODOO_MAX_CONCURRENCY": "0"})


def test_a_call_the_bulkhead_admits_never_waits_for_a_pool_connection(sandbox):
    client = OdooClient(sandbox.url, "smn_demo", "admin", password="admin", pool_size=1, read_timeout=0.6,
                        bulkhead=Bulkhead(limit=4, wait=0.1))
    try:
        client.search_count("res.partner")
        sandbox.set_latency(0.4)
        results = _in_threads(4, lambda: client.search_count("res.partner"))
        assert all(isinstance(result, int) for result in results), results
        assert client.breaker.state == CLOSED and client.breaker.failures == 0
    finally:
        sandbox.set_latency(0)
        client.close()
