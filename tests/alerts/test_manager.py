"""The manager: folding within the cool-down, non-blocking sends, PostgreSQL down, list and acknowledge."""
from __future__ import annotations

import time

import pytest

from smn.alerts import Alert, acknowledge, list_alerts
from smn.alerts.channels import WebhookChannel
from smn.alerts.manager import AlertManager
from smn.alerts.store import AlertStore
from smn.app import build_services, create_app
from smn.db import Database
from falcon import testing
from tests.auth.helpers import wait_until


def _manager(database: Database, webhook, cooldown: int = 300, **kwargs) -> AlertManager:
    return AlertManager(AlertStore(database), [WebhookChannel(webhook.url, 1.0)], cooldown, attempts=2,
                        retry_delay=0.05, tick=0.1, **kwargs)


def _alert(n: int = 0, kind: str = "job_failed") -> Alert:
    return Alert(kind, "warning", "an outbox job failed for good", {"job_id": f"job-{n}"}, (f"req-{n}",))


def test_repeats_within_the_cooldown_are_one_send_with_the_count(database, webhook):
    manager = _manager(database, webhook, cooldown=2)
    try:
        for n in range(10):
            manager.raise_alert(_alert(n))
            if n % 3 == 0:
                assert manager.wait_idle()  # several batches, folded by PostgreSQL, not only in memory
        assert manager.wait_idle()
        assert len(webhook.of_kind("job_failed")) == 1
        (row,) = list_alerts(database, kind="job_failed")
        assert row["count"] == 10
        assert row["request_ids"] == [f"req-{n}" for n in range(10)]

        # After the cool-down the folded repeats go out once, with their number.
        first, second = webhook.wait_for("job_failed", 2, timeout=10)
        time.sleep(0.3)
    finally:
        manager.close()
    assert len(webhook.of_kind("job_failed")) == 2
    assert first["smn_alert"]["folded"] == 1
    assert second["smn_alert"]["count"] == 10 and second["smn_alert"]["folded"] == 9
    assert "(9 occurrences since the last message)" in second["text"]


def test_a_hanging_receiver_does_not_slow_the_request_path(alert_settings, webhook, sandbox, artifacts_dir):
    webhook.hang_for = 30
    services = build_services(alert_settings.replace(alert_error_rate=0.5, alert_error_min_requests=1,
                                                     alert_smtp_host=None, alert_send_timeout=5.0))
    client = testing.TestClient(create_app(services.settings, services))
    sandbox.go_down()
    try:
        durations = []
        for n in range(20):
            started = time.perf_counter()
            response = client.simulate_get("/readyz", headers={"X-Request-Id": f"hang-{n}"})
            durations.append(time.perf_counter() - started)
            assert response.status_code == 503
        wait_until(lambda: services.alerts.manager._queues["webhook"].unfinished_tasks >= 1, timeout=5)
    finally:
        sandbox.come_up()
        services.alerts.close(timeout=0)
        services.metrics.close()  # else its refresher goes on setting this process's gauges from an unloaded view
        services.database.close()
        services.odoo.close()
    print(f"\nwebhook hanging: 20 requests, slowest {max(durations) * 1000:.0f} ms, "
          f"mean {sum(durations) / len(durations) * 1000:.1f} ms")
    # Generous: the receiver hangs 30 s and each send may wait 5 s; a request never waits for either.
    assert max(durations) < 2.0


def test_raise_alert_returns_at_once_whatever_the_channel_does(database, webhook):
    webhook.hang_for = 30
    manager = _manager(database, webhook)
    try:
        started = time.perf_counter()
        for n in range(200):
            manager.raise_alert(_alert(n, kind=f"kind-{n % 7}"))
        elapsed = time.perf_counter() - started
    finally:
        manager.close(timeout=0)
    assert elapsed < 1.0  # 200 raises, a hanging receiver behind them


def test_alerts_are_sent_while_postgresql_is_down_and_recorded_later(database, webhook, json_logs):
    down = Database("postgresql://smn@127.0.0.1:9/none", 1, connect_timeout=0.5)
    store = AlertStore(down)
    manager = AlertManager(store, [WebhookChannel(webhook.url, 1.0)], 300, attempts=1, tick=0.1)
    try:
        manager.raise_alert(Alert("postgres_down", "critical", "PostgreSQL is unreachable", {"error": "x"},
                                  ("req-pg",)))
        (sent,) = webhook.wait_for("postgres_down")
        assert sent["smn_alert"]["id"] is None
        manager.raise_alert(Alert("postgres_down", "critical", "PostgreSQL is unreachable", {"error": "x"}))
        assert manager.wait_idle()
        assert len(webhook.of_kind("postgres_down")) == 1  # folded in memory meanwhile
        store.database = database  # PostgreSQL answers again
        wait_until(lambda: bool(list_alerts(database, kind="postgres_down")), timeout=5)
        assert manager.wait_idle()
    finally:
        manager.close()
    (row,) = list_alerts(database, kind="postgres_down")
    assert row["count"] == 2 and row["request_ids"] == ["req-pg"]
    assert len(webhook.of_kind("postgres_down")) == 1  # recorded as already sent: not sent again
    assert any(line["message"] == "alert not recorded yet: PostgreSQL unavailable" for line in json_logs.lines())


def test_failed_sends_are_retried_then_recorded_as_failed_without_the_secret(database, webhook, json_logs):
    webhook.status = 500
    manager = _manager(database, webhook)
    try:
        manager.raise_alert(_alert())
        webhook.wait_for("job_failed", 2)
        assert manager.wait_idle()
    finally:
        manager.close()
    (row,) = list_alerts(database)
    assert row["sent"]["webhook"]["status"] == "failed" and row["sent"]["webhook"]["attempts"] == 2
    assert "HTTP 500" in row["sent"]["webhook"]["error"]
    failures = [line for line in json_logs.lines() if line["message"] == "alert send failed"]
    assert len(failures) == 2 and "/hooks/" not in json_logs.text


def test_every_alert_is_one_json_log_line_with_its_request_ids(database, webhook, json_logs):
    manager = _manager(database, webhook)
    try:
        manager.raise_alert(_alert(7))
        assert manager.wait_idle()
    finally:
        manager.close()
    (line,) = [line for line in json_logs.lines() if line["logger"] == "smn.alerts" and "alert_kind" in line
               and line["message"].startswith("alert:")]
    assert line["request_id"] == "req-7" and line["request_ids"] == ["req-7"]
    assert line["level"] == "WARNING" and line["details"] == {"job_id": "job-7"}


def test_list_and_acknowledge(database, webhook):
    manager = _manager(database, webhook)
    try:
        manager.raise_alert(_alert(1, kind="job_failed"))
        manager.raise_alert(Alert("error_rate", "warning", "5xx", {"rate": 0.5}, ("r-1", "r-2")))
        assert manager.wait_idle()
    finally:
        manager.close()
    rows = list_alerts(database)
    assert {row["kind"] for row in rows} == {"job_failed", "error_rate"}
    target = next(row for row in rows if row["kind"] == "error_rate")
    assert target["request_ids"] == ["r-1", "r-2"] and target["acknowledged_at"] is None

    assert acknowledge(database, target["id"], "alice") is True
    assert acknowledge(database, target["id"], "bob") is True
    (acked,) = [row for row in list_alerts(database) if row["id"] == target["id"]]
    assert acked["acknowledged_by"] == "alice" and acked["acknowledged_at"]
    assert [row["kind"] for row in list_alerts(database, unacknowledged=True)] == ["job_failed"]
    assert acknowledge(database, 999_999_999, "alice") is False


def test_alert_rejects_an_unknown_severity():
    with pytest.raises(ValueError):
        Alert("x", "fatal", "t")
