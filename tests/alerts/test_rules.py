"""The rules: 5xx rate, outbox backlog, failed jobs, PostgreSQL unreachable."""
from __future__ import annotations

import threading
import tracemalloc
import uuid
from datetime import datetime, timezone

from smn.alerts import list_alerts
from smn.alerts.channels import WebhookChannel
from smn.alerts.manager import AlertManager
from smn.alerts.rules import ErrorRateWindow, JobFailedRule, Monitor
from smn.alerts.store import AlertStore
from smn.outbox import Job
from smn.outbox.hooks import job_failed, on_job_failed, remove_job_failed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _manager(database, webhook) -> AlertManager:
    return AlertManager(AlertStore(database), [WebhookChannel(webhook.url, 1.0)], 300, attempts=1, tick=0.1)


def test_error_rate_fires_above_the_threshold_with_example_request_ids(database, webhook):
    manager, clock = _manager(database, webhook), Clock()
    window = ErrorRateWindow(manager, rate=0.2, window=60, min_requests=20, clock=clock)
    try:
        for n in range(16):
            window.record(200, f"ok-{n}")
        for n in range(3):
            window.record(500, f"bad-{n}")
        assert manager.wait_idle() and not list_alerts(database)  # 19 requests: below the minimum
        window.record(503, "bad-3")  # 4 of 20 = 20 %
        (sent,) = webhook.wait_for("error_rate")
        assert manager.wait_idle()
    finally:
        manager.close()
    alert = sent["smn_alert"]
    assert alert["request_ids"] == ["bad-3", "bad-2", "bad-1", "bad-0"]
    assert alert["details"]["errors"] == 4 and alert["details"]["requests"] == 20
    assert alert["details"]["statuses"] == {"500": 3, "503": 1}


def test_error_rate_forgets_what_left_the_window(database, webhook):
    manager, clock = _manager(database, webhook), Clock()
    window = ErrorRateWindow(manager, rate=0.5, window=10, min_requests=4, clock=clock)
    try:
        for n in range(3):
            window.record(500, f"old-{n}")
        clock.now += 11
        for n in range(4):
            window.record(200 if n else 500, f"new-{n}")  # 1 of 4 in the window now
        assert manager.wait_idle()
    finally:
        manager.close()
    assert not list_alerts(database) and window.recent_failures() == ["new-0"]


def _queue_job(database, request_id: str, age_s: int) -> str:
    job_id = str(uuid.uuid4())
    database.execute("INSERT INTO outbox_jobs (id, client_id, kind, body, request_id, created_at) "
                     "VALUES (%s, 'alerts-test', 'order.create', '{}', %s, now() - make_interval(secs => %s))",
                     (job_id, request_id, age_s))
    return job_id


def test_backlog_rule_fires_on_the_age_of_the_oldest_job(alert_settings, database, webhook, sandbox):
    from smn.alerts import build_alerts
    from smn.odoo.client import OdooClient

    odoo = OdooClient.from_settings(alert_settings)
    alerts = build_alerts(alert_settings.replace(alert_smtp_host=None, alert_backlog_age=60, alert_backlog_jobs=10_000),
                          database, odoo)
    # Jobs earlier tests left queued would be older than these and crowd out their request ids.
    database.execute("UPDATE outbox_jobs SET status = 'cancelled' WHERE status IN ('queued', 'running')")
    ids = [_queue_job(database, f"backlog-{n}", 600 - n) for n in range(3)]
    try:
        monitor = Monitor(alerts.manager, 60, ping=lambda: database.ping(1), backlog=alerts.backlog,
                          backlog_jobs=10_000, backlog_age=60)
        monitor.check()
        (sent,) = webhook.wait_for("outbox_backlog")
    finally:
        database.execute("DELETE FROM outbox_jobs WHERE id = ANY(%s::uuid[])", (ids,))
        alerts.close()
        odoo.close()
    alert = sent["smn_alert"]
    assert alert["details"]["pending"] >= 3 and alert["details"]["oldest_age_s"] >= 590
    assert alert["request_ids"][:3] == ["backlog-0", "backlog-1", "backlog-2"]


def test_a_job_that_fails_for_good_raises_an_alert_with_its_request_id(database, webhook):
    manager = _manager(database, webhook)
    rule = on_job_failed(JobFailedRule(manager))
    now = datetime.now(timezone.utc)
    job = Job(id=str(uuid.uuid4()), seq=1, client_id="acme", kind="order.create", params={}, body={},
              status="failed", attempts=8, next_attempt_at=now, result_status=422, result=None,
              last_error="ValidationError: no such product", request_id="req-job", created_at=now, updated_at=now,
              finished_at=now, callback_status=None, callback_attempts=0, locked_by=None)
    try:
        job_failed(job)
        (sent,) = webhook.wait_for("job_failed")
        assert manager.wait_idle()
    finally:
        remove_job_failed(rule)
        manager.close()
    assert sent["smn_alert"]["request_ids"] == ["req-job"]
    assert sent["smn_alert"]["details"]["attempts"] == 8
    assert list_alerts(database, kind="job_failed")[0]["request_ids"] == ["req-job"]


def test_postgresql_unreachable_then_back(database, webhook):
    manager = _manager(database, webhook)
    reachable = {"up": False}

    def ping() -> None:
        if not reachable["up"]:
            raise OSError("connection refused")

    monitor = Monitor(manager, 60, ping=ping)
    try:
        monitor.check()
        monitor.check()
        (down,) = webhook.wait_for("postgres_down")
        reachable["up"] = True
        monitor.check()
        (back,) = webhook.wait_for("postgres_recovered")
        assert manager.wait_idle()
    finally:
        manager.close()
    assert down["smn_alert"]["severity"] == "critical" and down["smn_alert"]["details"]["error"] == "OSError"
    assert back["smn_alert"]["details"]["down_for_s"] >= 0
    assert list_alerts(database, kind="postgres_down")[0]["count"] == 2


def test_error_window_counts_forget_what_left_the_window():
    now = [100.0]
    window = ErrorRateWindow(manager=None, rate=1.1, window=60, min_requests=1000, clock=lambda: now[0])
    window.record(200, "a")
    window.record(404, "b")
    window.record(502, "c")
    assert window.counts() == {"requests": 3, "errors": 1, "client_errors": 1}
    now[0] += 61
    assert window.counts() == {"requests": 0, "errors": 0, "client_errors": 0}


def test_error_window_memory_does_not_grow_with_the_request_rate():
    now = [100.0]
    window = ErrorRateWindow(manager=None, rate=1.1, window=60, min_requests=10**9, clock=lambda: now[0])
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(100_000):
            now[0] = 100.0 + n / 10_000  # 10k requests per second for 10 s, each with its own id
            window.record(500 if n % 10 == 0 else 200, f"req-{n:06d}-{'x' * 30}")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64 * 1024, grown
    assert window.counts() == {"requests": 100_000, "errors": 10_000, "client_errors": 0}
    assert window.recent_failures(3) == ["req-099990-" + "x" * 30, "req-099980-" + "x" * 30,
                                         "req-099970-" + "x" * 30]


def test_error_window_slides_a_second_at_a_time():
    now = [100.2]
    window = ErrorRateWindow(manager=None, rate=1.1, window=10, min_requests=10**9, clock=lambda: now[0])
    window.record(502, "first")
    now[0] = 105.7
    window.record(404, "second")
    now[0] = 110.9
    assert window.counts() == {"requests": 2, "errors": 1, "client_errors": 1}
    now[0] = 111.0
    assert window.counts() == {"requests": 1, "errors": 0, "client_errors": 1}
    assert window.recent_failures() == []


def test_a_success_in_the_open_second_does_not_wait_for_the_window_lock():
    now = [100.2]
    window = ErrorRateWindow(manager=None, rate=1.1, window=10, min_requests=10**9, clock=lambda: now[0])
    window.record(502, "opens-the-second")
    with window._lock:
        recorder = threading.Thread(target=lambda: [window.record(200, None) for _ in range(1000)])
        recorder.start()
        recorder.join(timeout=5)
        assert not recorder.is_alive(), "a success waited for the lock"
    assert window.counts() == {"requests": 1001, "errors": 1, "client_errors": 0}
    now[0] = 109.9
    window.record(200, None)
    assert window.counts() == {"requests": 1002, "errors": 1, "client_errors": 0}
    now[0] = 111.0
    assert window.counts() == {"requests": 1, "errors": 0, "client_errors": 0}, "second 100's successes left with it"
