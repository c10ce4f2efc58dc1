"""Issue #5, writes: queue while Odoo is down, deliver exactly once, in order, with callbacks."""
from __future__ import annotations

import json
import select
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest

from smn.odoo.errors import OdooUnavailable
from smn.outbox import backlog_stats, on_job_failed, remove_job_failed
from smn.outbox.callbacks import SIGNATURE_HEADER, callback_secret, verify
from smn.outbox.store import _COLUMNS, CHANNEL, Job, OutboxStore
from smn.outbox.worker import Worker, backoff
from tests.outbox.conftest import count_orders, order_body, wait_for


def job_of(api, response):
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/v1/jobs/{response.json['id']}" == response.json["links"]["self"]
    return location


def settled(api, location):
    body = api.get(location).json
    return body if body["status"] in ("done", "failed", "cancelled") else None


def test_odoo_down_queues_then_the_worker_delivers_exactly_once(api, sandbox, services, run_worker, order_ref):
    ref = order_ref()
    sandbox.go_down()
    response = api.post("/v1/orders", order_body(ref, confirm=True), headers={"X-Request-Id": "req-outbox-1"})
    location = job_of(api, response)
    assert response.json["status"] == "queued" and response.json["request_id"] == "req-outbox-1"
    job = api.get(location).json
    assert job["status"] == "queued" and job["request_id"] == "req-outbox-1" and job["kind"] == "orders.create"
    sandbox.come_up()
    sandbox.received_headers.clear()
    with run_worker():
        job = wait_for(lambda: settled(api, location))
    assert job["status"] == "done" and job["result_status"] == 201, job
    order = job["result"]
    assert order["client_order_ref"] == ref and order["state"] == "confirmed"
    assert count_orders(services.odoo, ref) == 1
    assert api.get(f"/v1/orders/{order['id']}").json["id"] == order["id"]
    assert any(headers.get("X-Request-Id") == "req-outbox-1" for headers in sandbox.received_headers)


def test_other_clients_get_404_for_a_job(api, sandbox, auth_headers, client, order_ref):
    location = job_of(api, api.post("/v1/orders", order_body(order_ref()), headers={"Prefer": "respond-async"}))
    other = client.simulate_get(location, headers=auth_headers("orders:read"))
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/v1/jobs/not-a-uuid", headers=auth_headers("orders:read")).status_code == 404


def test_prefer_respond_async_queues_while_odoo_is_up(api, sandbox, services, run_worker, order_ref, odoo_calls):
    ref = order_ref()
    with odoo_calls() as calls:
        response = api.post("/v1/orders", order_body(ref), headers={"Prefer": "respond-async, wait=5"})
    assert len(calls) == 0
    assert response.headers["preference-applied"] == "respond-async"
    location = job_of(api, response)
    assert count_orders(services.odoo, ref) == 0
    with run_worker():
        job = wait_for(lambda: settled(api, location))
    assert job["status"] == "done" and count_orders(services.odoo, ref) == 1


def test_an_idempotent_replay_of_a_202_returns_the_same_job(api, sandbox, order_ref):
    body, headers = order_body(order_ref()), {"Idempotency-Key": f"outbox-{time.monotonic_ns()}"}
    sandbox.go_down()
    first = api.post("/v1/orders", body, headers=headers)
    second = api.post("/v1/orders", body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json["id"] == second.json["id"] and second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"


def test_every_write_queues_while_odoo_is_down(api, sandbox, services, run_worker, order_ref):
    draft = api.post("/v1/orders", order_body(order_ref())).json
    to_cancel = api.post("/v1/orders", order_body(order_ref())).json
    partner = api.post("/v1/partners", {"name": "Outbox Partner"}).json
    batch_refs = [order_ref(), order_ref()]
    sandbox.go_down()
    locations = [job_of(api, response) for response in (
        api.post(f"/v1/orders/{draft['id']}/confirm"),
        api.post(f"/v1/orders/{to_cancel['id']}/cancel"),
        api.patch(f"/v1/partners/{partner['id']}", {"city": "Queued City"}),
        api.post("/v1/partners", {"name": "Queued Partner"}),
        api.post("/v1/orders/batch", {"orders": [order_body(ref) for ref in batch_refs]}),
    )]
    sandbox.come_up()
    with run_worker():
        jobs = [wait_for(lambda: settled(api, location)) for location in locations]
    assert [job["status"] for job in jobs] == ["done"] * 5, jobs
    assert jobs[0]["result"]["state"] == "confirmed" and jobs[1]["result"]["state"] == "cancelled"
    assert jobs[2]["result"]["city"] == "Queued City"
    assert jobs[3]["result_status"] == 201 and jobs[3]["result"]["name"] == "Queued Partner"
    assert [item["status"] for item in jobs[4]["result"]["results"]] == [201, 201]
    assert [count_orders(services.odoo, ref) for ref in batch_refs] == [1, 1]
    # Other packages count the stand-in's active partners: archive the two made here.
    services.odoo.write("res.partner", [partner["id"], jobs[3]["result"]["id"]], {"active": False})


def test_an_odoo_validation_error_fails_the_job_for_good(api, sandbox, run_worker, order_ref):
    failed: list = []
    hook = on_job_failed(failed.append)
    try:
        location = job_of(api, api.post("/v1/orders", order_body(order_ref()), headers={"Prefer": "respond-async"}))
        sandbox.raise_error("odoo.exceptions.ValidationError", "The customer is blocked for new orders.",
                            model="sale.order", method="create")
        with run_worker():
            job = wait_for(lambda: settled(api, location))
    finally:
        remove_job_failed(hook)
    assert job["status"] == "failed" and job["attempts"] == 1 and job["result_status"] == 422
    assert job["problem"]["detail"] == "The customer is blocked for new orders."
    assert job["result"] is None and [entry.id for entry in failed] == [job["id"]]


def test_an_outage_retries_with_backoff_until_odoo_is_back(api, sandbox, services, run_worker, order_ref):
    ref = order_ref()
    location = job_of(api, api.post("/v1/orders", order_body(ref), headers={"Prefer": "respond-async"}))
    sandbox.set_proxy_error(503)
    with run_worker():
        job = wait_for(lambda: (lambda body: body if body["attempts"] >= 3 else None)(api.get(location).json))
        assert job["status"] in ("queued", "running") and job["last_error"]
        assert backlog_stats(services.database).queued >= 0
        sandbox.set_proxy_error(None)
        job = wait_for(lambda: settled(api, location))
    assert job["status"] == "done" and job["attempts"] >= 4 and count_orders(services.odoo, ref) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert backoff(1, 1.0, 60, lambda: 1.0) == 1.0 and backoff(1, 1.0, 60, lambda: 0.0) == 0.5
    assert backoff(4, 1.0, 60, lambda: 1.0) == 8.0
    assert backoff(20, 1.0, 60, lambda: 1.0) == 60.0


def test_a_clients_jobs_run_in_order(api, sandbox, services, run_worker, order_ref):
    refs = [order_ref() for _ in range(8)]
    locations = [job_of(api, api.post("/v1/orders", order_body(ref), headers={"Prefer": "respond-async"}))
                 for ref in refs]
    with run_worker(outbox_threads=6):
        jobs = [wait_for(lambda: settled(api, location)) for location in locations]
    ids = [job["result"]["id"] for job in jobs]
    assert ids == sorted(ids), "a later job of the client ran before an earlier one"
    finished = [job["finished_at"] for job in jobs]
    assert finished == sorted(finished)


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


def test_a_finished_job_is_posted_to_the_callback_url_signed(make_client, token_for, client, sandbox, settings,
                                                            run_worker, order_ref):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        partner = make_client(["orders:write", "orders:read"],
                              callback_url=f"http://127.0.0.1:{server.server_address[1]}/smn-hook")
        headers = {"Authorization": f"Bearer {token_for(partner)}", "Prefer": "respond-async"}
        response = client.simulate_post("/v1/orders", json=order_body(order_ref()), headers=headers)
        assert response.status_code == 202
        with run_worker():
            wait_for(lambda: _Receiver.received)
    finally:
        server.shutdown()
        server.server_close()
    received_headers, body = _Receiver.received[0]
    secret = callback_secret(settings.secret_key, partner.client_id)
    assert verify(secret, received_headers[SIGNATURE_HEADER], body)
    assert not verify(secret, received_headers[SIGNATURE_HEADER], body + b" ")
    document = json.loads(body)
    assert document["id"] == response.json["id"] and document["status"] == "done"
    assert document["links"]["self"] == response.headers["location"] == response.json["links"]["self"], \
        "the callback links the job as the API does"
    assert document["result"]["client_order_ref"].startswith("PO-OUTBOX")


@pytest.mark.parametrize("header", ["respond-async", "RESPOND-ASYNC; x=1", "wait=3, respond-async"])
def test_prefer_header_forms(api, header, order_ref):
    assert api.post("/v1/orders", order_body(order_ref()), headers={"Prefer": header}).status_code == 202


def test_without_prefer_and_with_odoo_up_the_write_is_synchronous(api, order_ref):
    response = api.post("/v1/orders", order_body(order_ref()), headers={"Prefer": "return=minimal"})
    assert response.status_code == 201 and "preference-applied" not in response.headers


def test_a_queued_job_wakes_an_idle_worker_through_notify(api, services, run_worker, order_ref):
    with run_worker(outbox_poll_interval=300) as worker:
        time.sleep(0.5)  # the loops have polled once and sleep for the poll interval
        assert worker._listener.connections == 1
        ref = order_ref()
        location = job_of(api, api.post("/v1/orders", order_body(ref), headers={"Prefer": "respond-async"}))
        job = wait_for(lambda: settled(api, location), timeout=10)
    assert job["status"] == "done" and count_orders(services.odoo, ref) == 1


def _held_job(database, worker_id: str | None, status: str = "running", kind: str = "test.kind",
              client_id: str | None = None) -> Job:
    """A job inserted straight in `status` (never claimable by another test's worker)."""
    row = database.fetch_one(
        f"""INSERT INTO outbox_jobs (id, client_id, kind, body, status, attempts, locked_by, locked_until,
                                     request_id, finished_at)
            VALUES (%s, %s, %s, '{{}}', %s, 1, %s, now() + interval '10 minutes', %s,
                    CASE WHEN %s = 'running' THEN NULL ELSE now() END)
            RETURNING {_COLUMNS}""",
        (str(uuid.uuid4()), client_id or f"no-such-client-{uuid.uuid4().hex[:8]}", kind, status, worker_id,
         f"req-{uuid.uuid4().hex[:12]}", status))
    return Job(*row)


def _raise(exc: Exception):
    def action(body, params):
        raise exc
    return action


@pytest.mark.parametrize(("exc", "status", "title", "problem_type"), [
    (RuntimeError("bug"), 500, "Internal Server Error", "/problems/internal-server-error"),
    (OdooUnavailable("connection refused"), 503, "Service Unavailable", "/problems/odoo-unavailable"),
])
def test_a_job_that_gives_up_stores_a_problem_matching_its_status(fast_settings, services, exc, status, title,
                                                                 problem_type):
    worker = Worker(fast_settings.replace(outbox_max_attempts=1), services.database, services.odoo)
    worker.delivery.actions["test.kind"] = _raise(exc)
    job = _held_job(services.database, worker.worker_id)
    worker._process(job)
    stored = OutboxStore(services.database).find(job.id)
    assert stored.status == "failed" and stored.result_status == status
    assert stored.result["status"] == status and stored.result["title"] == title
    assert stored.result["type"] == problem_type and stored.result["request_id"] == job.request_id
    assert stored.result["detail"].startswith("Gave up after 1 attempts")


def test_finishing_a_job_makes_its_callback_pending_only_for_a_client_with_a_callback_url(make_client, services):
    store = OutboxStore(services.database)
    with_url = make_client(["orders:write"], callback_url="http://127.0.0.1:9/never-called")
    without_url = make_client(["orders:write"])
    finished = {}
    try:
        for name, client_id in (("with", with_url.client_id), ("without", without_url.client_id),
                                ("unknown", None)):
            job = _held_job(services.database, "pytest-worker", client_id=client_id)
            finished[name] = store.finish(job, "pytest-worker", "done", 200, {"ok": True})
        assert finished["with"].callback_status == "pending"
        assert finished["without"].callback_status is None and finished["unknown"].callback_status is None
        due = services.database.fetch_one("SELECT callback_next_at <= now() FROM outbox_jobs WHERE id = %s",
                                          (finished["with"].id,))
        assert due == (True,)
        assert store.finish(finished["without"], "pytest-worker", "done", 200, {}) is None, "no longer held"
    finally:
        services.database.execute("UPDATE outbox_jobs SET callback_status = NULL, callback_next_at = NULL "
                                  "WHERE id = ANY(%s::uuid[])", ([job.id for job in finished.values()],))


def _notifications(conn, timeout: float = 2.0) -> list[tuple[str, str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        select.select([conn], [], [], 0.1)
        conn.poll()
        if conn.notifies:
            return [(note.channel, note.payload) for note in conn.notifies]
    return []


def test_requeue_returns_the_job_and_notifies_the_workers(database_url, services):
    store = OutboxStore(services.database)
    failed = _held_job(services.database, None, status="failed")
    running = _held_job(services.database, "pytest-worker")
    listener = psycopg2.connect(database_url)
    listener.autocommit = True
    try:
        listener.cursor().execute(f"LISTEN {CHANNEL}")
        assert store.requeue(running.id) is None
        assert _notifications(listener, timeout=0.3) == []
        requeued = store.requeue(failed.id)
        assert requeued.id == failed.id and requeued.status == "queued" and requeued.finished_at is None
        assert requeued.client_id == failed.client_id and requeued.locked_by is None
        assert _notifications(listener) == [(CHANNEL, failed.client_id)]
    finally:
        listener.close()
        services.database.execute("DELETE FROM outbox_jobs WHERE id = ANY(%s::uuid[])", ([failed.id, running.id],))
