"""`python -m smn worker` as real processes: SIGKILL mid-job, and two workers sharing one outbox."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smn.stack import settings_environment
from tests.outbox.conftest import ROOT_DIR, count_orders, order_body, wait_for

pytestmark = pytest.mark.slow


def start_worker(settings, log_path: Path, **overrides) -> subprocess.Popen:
    env = {**os.environ, **settings_environment(settings.replace(**overrides))}
    env.pop("SMN_ODOO_API_KEY", None)
    with open(log_path, "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "smn", "worker"], env=env, cwd=ROOT_DIR,
                                stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def job_row(database, job_id: str) -> tuple:
    return database.fetch_one("SELECT status, attempts FROM outbox_jobs WHERE id = %s", (job_id,))


def test_a_worker_killed_after_the_odoo_create_does_not_create_twice(api, sandbox, services, fast_settings,
                                                                      order_ref, artifacts_dir):
    ref = order_ref()
    response = api.post("/v1/orders", order_body(ref), headers={"Prefer": "respond-async"})
    job_id = response.json["id"]
    # The step right after the create (reading the new order's lines) hangs: the kill lands in that window.
    sandbox.set_latency(30, model="sale.order.line", method="search_read")
    first = start_worker(fast_settings, artifacts_dir / "outbox-crash-worker.log", outbox_lease=3)
    try:
        wait_for(lambda: count_orders(services.odoo, ref) == 1, timeout=30)
        assert job_row(services.database, job_id)[0] == "running"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    sandbox.clear_faults()
    second = start_worker(fast_settings, artifacts_dir / "outbox-crash-worker.log", outbox_lease=3)
    try:
        job = wait_for(lambda: (lambda body: body if body["status"] == "done" else None)(
            api.get(f"/v1/jobs/{job_id}").json), timeout=30)
    finally:
        stop(second)
    assert job["attempts"] == 2 and job["result"]["client_order_ref"] == ref
    assert count_orders(services.odoo, ref) == 1


def test_two_worker_processes_deliver_fifty_jobs_once_each_in_client_order(
        make_client, token_for, client, sandbox, services, fast_settings, order_ref, artifacts_dir):
    clients = [make_client(["orders:write", "orders:read"]) for _ in range(5)]
    jobs: list[tuple[str, str, str]] = []  # (client_id, job id, client_order_ref)
    for number in range(50):
        partner = clients[number % 5]
        ref = order_ref()
        headers = {"Authorization": f"Bearer {token_for(partner)}", "Prefer": "respond-async"}
        response = client.simulate_post("/v1/orders", json=order_body(ref), headers=headers)
        assert response.status_code == 202, response.text
        jobs.append((partner.client_id, response.json["id"], ref))
    started = time.monotonic()
    workers = [start_worker(fast_settings, artifacts_dir / f"outbox-worker-{n}.log", outbox_threads=4)
               for n in range(2)]
    try:
        wait_for(lambda: all(job_row(services.database, job_id)[0] == "done" for _, job_id, _ in jobs), timeout=120)
        drained = time.monotonic() - started
    finally:
        for worker in workers:
            stop(worker)
    counts = [count_orders(services.odoo, ref) for _, _, ref in jobs]
    attempts = [job_row(services.database, job_id)[1] for _, job_id, _ in jobs]
    assert counts == [1] * 50 and attempts == [1] * 50
    for partner in clients:
        order_ids = [services.database.fetch_one("SELECT (result->>'id')::int FROM outbox_jobs WHERE id = %s",
                                                 (job_id,))[0] for owner, job_id, _ in jobs if owner == partner.client_id]
        assert order_ids == sorted(order_ids)
    figures = {"jobs": 50, "orders_counted": sum(counts), "workers": 2, "threads_each": 4,
               "drain_seconds": round(drained, 2)}
    (artifacts_dir / "outbox-drain.json").write_text(json.dumps(figures))
    print(f"\noutbox drain: {figures}")
