"""Real gunicorn, three workers: an endpoint saved in the builder goes live on every worker, measured."""
from __future__ import annotations

import json
import time

import pytest

from tests.admin.test_builder import COMPANIES
from tests.auth.test_gunicorn_revocation import WORKERS, Gunicorn, _request


@pytest.fixture()
def gunicorn(settings, sandbox, tmp_path):
    server = Gunicorn(settings, sandbox, tmp_path / "gunicorn.log").start()
    yield server
    server.stop()


def _call(gunicorn: Gunicorn, slug: str, token: str, request_id: str) -> int:
    return _request(f"{gunicorn.base}/v1/x/{slug}?limit=1",
                    {"Authorization": f"Bearer {token}", "X-Request-Id": request_id})[0]


@pytest.mark.slow
def test_saved_endpoint_is_live_on_every_worker_within_a_second(gunicorn, admin, make_client, artifacts_dir):
    slug = "companies-live"
    token = gunicorn.issue(make_client(["companies:read"]))
    assert _call(gunicorn, slug, token, "before-0") == 404

    saved_at = time.monotonic()
    assert admin.post("/admin/api/endpoints", json={**COMPANIES, "slug": slug}).status_code == 201
    last_404 = saved_at
    serving_pids: set[int] = set()
    attempt = 0
    while len(serving_pids) < WORKERS:
        assert time.monotonic() - saved_at < 10, f"live on workers {serving_pids} only"
        attempt += 1
        request_id = f"live-{attempt}"
        status = _call(gunicorn, slug, token, request_id)
        if status == 404:
            last_404 = time.monotonic()
        else:
            assert status == 200
            time.sleep(0.05)  # the access line is written after the response
            line = gunicorn.access_lines(request_id).get(request_id)
            if line:
                serving_pids.add(line["pid"])

    propagation = last_404 - saved_at
    every_worker = time.monotonic() - saved_at
    (artifacts_dir / "builder_propagation.json").write_text(json.dumps(
        {"workers": WORKERS, "last_404_after_save_s": round(propagation, 3),
         "every_worker_seen_serving_s": round(every_worker, 3), "requests": attempt}))
    print(f"\nbuilder endpoint: last 404 {propagation * 1000:.0f} ms after the save began; "
          f"all {WORKERS} workers seen serving it after {every_worker * 1000:.0f} ms ({attempt} requests)")
    assert propagation < 1.0
