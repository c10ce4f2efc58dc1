"""Real gunicorn, two workers: /metrics sums every worker's counters (prometheus-client multiprocess mode)."""
from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.auth.test_gunicorn_revocation import Gunicorn, _request
from tests.fixtures.auth import bearer

WORKERS = 2
REQUESTS = 60


def _samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.slow
def test_counters_are_summed_across_workers(settings, sandbox, tmp_path, make_client):
    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log")
    server.env.update({"SMN_WORKERS": str(WORKERS), "SMN_DATA_DIR": str(tmp_path / "data")})
    server.start()
    try:
        acme = make_client(["products:read", "metrics:read"])
        headers = {**bearer(server.issue(acme)), "X-Request-Id": "mp"}
        for n in range(REQUESTS):
            headers["X-Request-Id"] = f"mp-{n}"
            assert _request(f"{server.base}/v1/auth/whoami", headers)[0] == 200
        served_by = {line["pid"] for line in server.access_lines("mp-").values()}
        status, body = _request(f"{server.base}/metrics", bearer(server.issue(acme)))
        folder = tmp_path / "data" / "metrics" / str(server.process.pid)
        assert folder.is_dir() and any(folder.glob("*.db"))
    finally:
        server.stop()

    assert status == 200, body
    assert len(served_by) == WORKERS, f"only {served_by} answered"
    samples = _samples(body.decode())
    key = ("smn_http_requests_total", tuple(sorted({"method": "GET", "route": "/v1/auth/whoami", "status": "200",
                                                      "client": acme.client_id}.items())))
    assert samples[key] == REQUESTS
    count = ("smn_http_request_duration_seconds_count",
             (("method", "GET"), ("route", "/v1/auth/whoami"), ("status_class", "2xx")))
    assert samples[count] == REQUESTS
    live = [labels for name, labels in samples if name == "smn_odoo_circuit_state"]
    assert len(live) >= 1 and all(dict(labels).get("pid") for labels in live)
    assert not folder.exists(), "on_exit removes the multiprocess folder"
    print(f"\n{REQUESTS} requests over {len(served_by)} workers, /metrics reports "
          f"{json.dumps({'requests': samples[key], 'histogram_count': samples[count]})}")
