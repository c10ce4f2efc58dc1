"""Real gunicorn, two workers: /metrics sums every worker's counters (prometheus-client multiprocess mode)."""
from __future__ import annotations

import collections
import json
import os
import signal
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from smn.process import is_running
from tests.auth.test_gunicorn_revocation import Gunicorn, _request
from tests.fixtures.auth import bearer

WORKERS = 2
REQUESTS = 60
KEY_COUNT = ("smn_http_request_duration_seconds_count",
             (("method", "GET"), ("route", "/v1/auth/whoami"), ("status_class", "2xx")))


def _samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.mark.slow
def test_counters_are_summed_across_workers(settings, sandbox, tmp_path, make_client):
    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log")
    # No timed fold during the test: a worker's requests reach the files when it serves a scrape or exits.
    server.env.update({"SMN_WORKERS": str(WORKERS), "SMN_DATA_DIR": str(tmp_path / "data"),
                       "SMN_METRICS_REFRESH_INTERVAL": "3600"})
    server.start()
    try:
        acme = make_client(["products:read", "metrics:read"])
        headers = {**bearer(server.issue(acme)), "X-Request-Id": "mp"}
        for n in range(REQUESTS):
            headers["X-Request-Id"] = f"mp-{n}"
            assert _request(f"{server.base}/v1/auth/whoami", headers)[0] == 200
        served = collections.Counter(line["pid"] for line in server.access_lines("mp-").values())
        scrape_headers = bearer(server.issue(acme))
        status, body = _request(f"{server.base}/metrics", {**scrape_headers, "X-Request-Id": "scrape-first"})
        scraped_by = server.access_lines("scrape-first")["scrape-first"]["pid"]
        folder = tmp_path / "data" / "metrics" / str(server.process.pid)
        assert folder.is_dir() and any(folder.glob("*.db"))
        # SIGHUP: new workers start, the old ones exit gracefully and fold their tallies on the way out.
        # Nothing scrapes an old worker meanwhile (a scrape would fold that worker's tally itself).
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 60
        while any(is_running(pid) for pid in served) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(is_running(pid) for pid in served), "the old workers did not exit"
        answer = _request(f"{server.base}/metrics", scrape_headers)
        assert answer[0] == 200, answer[1]
        after = _samples(answer[1].decode())
    finally:
        server.stop()

    assert status == 200, body
    assert len(served) == WORKERS, f"only {set(served)} answered"
    samples = _samples(body.decode())
    key = ("smn_http_requests_total", tuple(sorted({"method": "GET", "route": "/v1/auth/whoami", "status": "200",
                                                      "client": acme.client_id}.items())))
    assert samples[key] == served[scraped_by] < REQUESTS, "the scrape folds its own worker's tally, not the other's"
    assert samples[KEY_COUNT] == served[scraped_by]
    assert after.get(key) == REQUESTS and after.get(KEY_COUNT) == REQUESTS, "exiting workers fold their tallies"
    live = [labels for name, labels in samples if name == "smn_odoo_circuit_state"]
    assert len(live) >= 1 and all(dict(labels).get("pid") for labels in live)
    assert not folder.exists(), "on_exit removes the multiprocess folder"
    print(f"\n{REQUESTS} requests over {len(served)} workers, /metrics reports "
          f"{json.dumps({'requests': after[key], 'histogram_count': after[KEY_COUNT]})}")
