"""/v1/jobs/{id}: read and cancel a queued write; only its own client sees it."""
from __future__ import annotations

from tests.outbox.conftest import order_body


def _queued(api) -> str:
    response = api.post("/v1/orders", order_body("PO-JOBS-RESOURCE"), headers={"Prefer": "respond-async"})
    assert response.status_code == 202
    return response.headers["location"]


def test_a_job_reads_as_the_documented_schema(api, assert_schema):
    location = _queued(api)
    job = api.get(location)
    assert job.status_code == 200 and job.headers["cache-control"] == "no-store"
    assert_schema("Job", job.json)
    assert job.json["status"] == "queued" and job.json["attempts"] == 0 and job.json["next_attempt_at"]


def test_a_queued_job_can_be_cancelled_once(api):
    location = _queued(api)
    cancelled = api.client.simulate_delete(location, headers=api._headers(None))
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = api.client.simulate_delete(location, headers=api._headers(None))
    assert again.status_code == 409 and again.json["type"] == "/problems/job-not-cancellable"


def test_another_clients_job_is_404(api, client, auth_headers):
    location = _queued(api)
    assert client.simulate_get(location, headers=auth_headers("orders:read")).status_code == 404
    assert client.simulate_delete(location, headers=auth_headers("orders:read")).status_code == 404


def test_jobs_need_a_token(client):
    assert client.simulate_get("/v1/jobs/0b6f7c1e-8d44-4a8e-9f1c-5b2a3e7d9c01").status_code == 401
