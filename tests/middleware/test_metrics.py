"""/metrics: Prometheus text, protected by metrics:read; what the middleware and hooks count."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest
from falcon import testing
from prometheus_client.parser import text_string_to_metric_families

from smn.app import create_app
from smn.metrics import LATENCY_BUCKETS
from smn.middleware.access_log import AccessLogMiddleware
from tests.fixtures.auth import bearer


@pytest.fixture()
def scrape(client, services, make_client, token_for):
    headers = bearer(token_for(make_client(["metrics:read"])))

    def get() -> dict[tuple, float]:
        # The gauges are this process's: another app a test built may have refreshed them last.
        services.metrics.refresh()
        response = client.simulate_get("/metrics", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return get


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_need_a_token_with_metrics_read(client, auth_headers):
    assert client.simulate_get("/metrics").status_code == 401
    assert client.simulate_get("/metrics", headers=auth_headers("products:read")).status_code == 403


def test_public_metrics_when_configured(settings, services):
    public_settings = settings.replace(metrics_public=True)
    public = create_app(public_settings, dataclasses.replace(services, settings=public_settings))
    assert testing.TestClient(public).simulate_get("/metrics").status_code == 200


def test_requests_counted_by_route_template_status_and_client(client, make_client, token_for, scrape):
    acme = make_client(["products:read"])
    headers = bearer(token_for(acme))
    before = scrape()
    listing = client.simulate_get("/v1/products", params={"limit": 1}, headers=headers)
    product = listing.json["items"][0]["id"]
    for _ in range(3):
        client.simulate_get(f"/v1/products/{product}", headers=headers)
    client.simulate_get("/v1/products/999999", headers=headers)
    client.simulate_get("/no/such/path", headers=headers)
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    item = "/v1/products/{product_id}"
    assert delta("smn_http_requests_total", method="GET", route=item, status="200", client=acme.client_id) == 3
    assert delta("smn_http_requests_total", method="GET", route=item, status="404", client=acme.client_id) == 1
    assert delta("smn_http_requests_total", method="GET", route="unmatched", status="404", client="-") == 1
    assert delta("smn_http_request_duration_seconds_count", method="GET", route=item, status_class="2xx") == 3
    assert not any("/v1/products/999999" in str(key) for key in after)
    assert delta("smn_odoo_calls_total", model="product.product", method="search_read", outcome="ok") >= 1
    assert delta("smn_odoo_call_duration_seconds_count", model="product.product", method="search_read") >= 1
    results = ("hit", "miss", "stale", "bypass")
    assert sum(delta("smn_cache_results_total", result=result) for result in results) >= 1


def test_circuit_auth_view_and_outbox_gauges(services, scrape):
    samples = scrape()
    assert _value(samples, "smn_odoo_circuit_state") in (0.0, 1.0, 2.0)
    assert _value(samples, "smn_auth_view_entries", kind="clients") >= 1
    assert _value(samples, "smn_auth_view_entries", kind="keys") >= 1
    assert 0 <= _value(samples, "smn_auth_view_sync_age_seconds") < 3600
    assert ("smn_outbox_backlog", (("state", "queued"),)) in samples
    assert ("smn_outbox_oldest_age_seconds", ()) in samples


def test_circuit_transitions_are_counted(services, scrape):
    before = _value(scrape(), "smn_odoo_circuit_transitions_total", state="closed")
    breaker = services.odoo.breaker
    breaker._lock.acquire()
    try:
        breaker._change("open", "test")
    finally:
        breaker._lock.release()
    breaker._notify()
    assert _value(scrape(), "smn_odoo_circuit_state") == 2.0
    breaker.reset()
    after = scrape()
    assert _value(after, "smn_odoo_circuit_state") == 0.0
    assert _value(after, "smn_odoo_circuit_transitions_total", state="closed") == before + 1


def test_metrics_middleware_is_registered_in_the_documented_order(app):
    names = [type(component).__name__ for component in app._unprepared_middleware]
    assert names.index("AccessLogMiddleware") < names.index("MetricsMiddleware") < names.index("AuthMiddleware") \
        < names.index("RateLimitMiddleware")
    assert any(isinstance(component, AccessLogMiddleware) for component in app._unprepared_middleware)


def test_exposition_has_no_raw_paths_or_secrets(scrape):
    text_keys = " ".join(str(key) for key in scrape())
    assert not re.search(r"Bearer|secret", text_keys)


def test_a_scrape_reports_the_requests_just_served_with_their_buckets(client, make_client, token_for, scrape):
    """The requests are counted in the worker's tally; the scrape folds it before rendering."""
    acme = make_client(["products:read"])
    headers = bearer(token_for(acme))
    product = client.simulate_get("/v1/products", params={"limit": 1}, headers=headers).json["items"][0]["id"]
    before = scrape()
    started = time.perf_counter()
    whoami = [client.simulate_get("/v1/auth/whoami", headers=headers) for _ in range(7)]
    elapsed = time.perf_counter() - started
    reads = [client.simulate_get(f"/v1/products/{product}", headers=headers) for _ in range(4)]
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert all(response.status_code == 200 for response in whoami + reads)
    assert delta("smn_http_requests_total", method="GET", route="/v1/auth/whoami", status="200",
                 client=acme.client_id) == 7
    assert delta("smn_http_requests_total", method="GET", route="/v1/products/{product_id}", status="200",
                 client=acme.client_id) == 4
    latency = {"method": "GET", "route": "/v1/auth/whoami", "status_class": "2xx"}
    assert delta("smn_http_request_duration_seconds_count", **latency) == 7
    assert 0 < delta("smn_http_request_duration_seconds_sum", **latency) <= elapsed
    buckets = [delta("smn_http_request_duration_seconds_bucket", le=le, **latency)
               for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0",
                          "30.0", "+Inf")]
    assert buckets == sorted(buckets) and buckets[-1] == buckets[-2] == 7
    # Each request falls in the first bucket whose bound is >= its duration, so none is above the elapsed time.
    assert buckets[next((i for i, bound in enumerate(LATENCY_BUCKETS) if bound >= elapsed), -1)] == 7
    cache_status = [response.headers.get("Cache-Status", "") for response in reads]
    assert sum(delta("smn_cache_results_total", result=result) for result in ("hit", "miss", "stale", "bypass")) \
        == sum(1 for value in cache_status if value)
    assert delta("smn_cache_results_total", result="hit") == sum(1 for value in cache_status
                                                                 if value.startswith("smn; hit"))


def test_last_known_good_copies_are_counted_by_outcome(services, scrape):
    writer = services.reads.writer
    before = scrape()
    writer.dropped += 2
    writer.failed += 1
    after = scrape()
    assert _value(after, "smn_snapshot_copies_total", outcome="dropped") == \
        _value(before, "smn_snapshot_copies_total", outcome="dropped") + 2
    assert _value(after, "smn_snapshot_copies_total", outcome="failed") == \
        _value(before, "smn_snapshot_copies_total", outcome="failed") + 1
