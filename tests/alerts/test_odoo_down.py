"""Odoo goes down, then recovers: the real breaker of a real Odoo client raises both alerts,
which reach a local webhook receiver and a local SMTP server and are recorded."""
from __future__ import annotations

import time

import pytest

from smn.alerts import build_alerts, list_alerts
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooUnavailable
from tests.alerts.conftest import WEBHOOK_SECRET_PATH
from tests.auth.helpers import wait_until


@pytest.fixture()
def odoo(alert_settings):
    client = OdooClient.from_settings(alert_settings.replace(odoo_breaker_failures=2, odoo_breaker_cooldown=0.3))
    yield client
    client.close()


def test_circuit_open_and_close_alert_webhook_and_mail(alert_settings, database, odoo, sandbox, webhook, mailbox,
                                                       json_logs):
    alerts = build_alerts(alert_settings, database, odoo)
    try:
        sandbox.go_down()
        for _ in range(3):
            with pytest.raises(OdooUnavailable):
                odoo.version(timeout=0.5)
        assert odoo.breaker.state == "open"

        (down,) = webhook.wait_for("odoo_down")
        (mail,) = mailbox.wait_for("odoo_down")
        sandbox.come_up()
        time.sleep(0.35)
        odoo.version(timeout=2)
        assert odoo.breaker.state == "closed"
        (recovered,) = webhook.wait_for("odoo_recovered")
        (recovered_mail,) = mailbox.wait_for("odoo_recovered")
        assert alerts.manager.wait_idle()
    finally:
        alerts.close()

    assert down["text"].startswith("[SMN critical] Odoo is down")
    assert down["smn_alert"]["severity"] == "critical" and down["smn_alert"]["count"] == 1
    assert down["smn_alert"]["details"]["failures"] == 2
    assert {"title": "kind", "value": "odoo_down", "short": True} in down["attachments"][0]["fields"]
    assert recovered["smn_alert"]["details"]["down_for_s"] >= 0.3
    assert mail["Subject"].startswith("[SMN critical] Odoo is down")
    assert mail["To"] == "ops@example.test, oncall@example.test"
    assert recovered_mail["Subject"].startswith("[SMN info] Odoo recovered after")

    recorded = {row["kind"]: row for row in list_alerts(database)}
    assert recorded["odoo_down"]["sent"]["webhook"]["status"] == "sent"
    assert recorded["odoo_down"]["sent"]["email"]["status"] == "sent"
    assert recorded["odoo_recovered"]["count"] == 1

    lines = [line for line in json_logs.lines() if line["logger"] == "smn.alerts"]
    assert {line["alert_kind"] for line in lines} >= {"odoo_down", "odoo_recovered"}
    assert WEBHOOK_SECRET_PATH not in json_logs.text


def test_down_alert_carries_the_request_ids_of_failed_requests(alert_settings, database, odoo, sandbox, webhook):
    alerts = build_alerts(alert_settings, database, odoo)
    try:
        for n in range(3):
            alerts.error_window.record(503, f"failed-{n}")
        sandbox.go_down()
        for _ in range(2):
            with pytest.raises(OdooUnavailable):
                odoo.version(timeout=0.5)
        (down,) = webhook.wait_for("odoo_down")
    finally:
        sandbox.come_up()
        alerts.close()
    assert down["smn_alert"]["request_ids"] == ["failed-2", "failed-1", "failed-0"]
    wait_until(lambda: list_alerts(database, kind="odoo_down")[0]["request_ids"] == ["failed-2", "failed-1",
                                                                                     "failed-0"])
