"""Alerts: rules raise them, the manager folds, records, logs and sends them (see manager.py).

For the admin UI: `list_alerts(database, ...)` and `acknowledge(database, alert_id, who)`.
For wiring: `build_alerts(settings, database, odoo)` in smn.app; gunicorn starts the monitor
in each worker (gunicorn_conf.post_worker_init).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from smn.alerts.manager import AlertManager, log, manager_from_settings
from smn.alerts.model import Alert
from smn.alerts.rules import BacklogReading, ErrorRateWindow, JobFailedRule, Monitor, OdooCircuitRule
from smn.alerts.store import acknowledge, list_alerts
from smn.db import Database
from smn.odoo.client import OdooClient
from smn.outbox import backlog_stats, on_job_failed, remove_job_failed
from smn.settings import Settings

__all__ = ["Alert", "AlertManager", "Alerts", "acknowledge", "build_alerts", "list_alerts", "worker_alerts"]


@dataclass
class Alerts:
    """This process's alerting: the manager, the 5xx window the middleware feeds, and the monitor."""

    settings: Settings
    database: Database
    odoo: OdooClient
    manager: AlertManager
    error_window: ErrorRateWindow
    job_failed: JobFailedRule | None = field(default=None)
    monitor: Monitor | None = field(default=None)

    def start_monitor(self) -> Monitor:
        """Start the PostgreSQL/Odoo/backlog monitor thread (once per process, after any fork)."""
        if self.monitor is None or not self.monitor.is_alive():
            timeout = self.settings.readiness_timeout
            self.monitor = Monitor(
                self.manager, self.settings.alert_monitor_interval,
                ping=lambda: self.database.ping(timeout), odoo_probe=lambda: self.odoo.version(timeout=timeout),
                backlog=self.backlog, backlog_jobs=self.settings.alert_backlog_jobs,
                backlog_age=self.settings.alert_backlog_age)
            self.monitor.start()
            log.info("alert monitor started", extra={
                "interval_s": self.settings.alert_monitor_interval,
                "channels": [channel.name for channel in self.manager.channels]})
        return self.monitor

    def backlog(self) -> BacklogReading:
        """The outbox's backlog_stats, with the request ids of the oldest queued jobs as examples."""
        stats = backlog_stats(self.database)
        rows = self.database.fetch_all("SELECT request_id FROM outbox_jobs WHERE status = 'queued' "
                                       "AND request_id IS NOT NULL ORDER BY seq LIMIT 5")
        return BacklogReading(stats.queued + stats.running, stats.oldest_queued_age or 0.0,
                              tuple(row[0] for row in rows))

    def close(self, timeout: float = 5.0) -> None:
        if self.monitor is not None:
            self.monitor.stop()
        if self.job_failed is not None:
            remove_job_failed(self.job_failed)
        self.manager.close(timeout)


def build_alerts(settings: Settings, database: Database, odoo: OdooClient) -> Alerts:
    """Wire the rules to their sources; opens no connection and starts no thread."""
    manager = manager_from_settings(settings, database)
    window = ErrorRateWindow(manager, settings.alert_error_rate, settings.alert_error_window,
                             settings.alert_error_min_requests)
    odoo.breaker.on_change(OdooCircuitRule(manager, window.recent_failures))
    return Alerts(settings, database, odoo, manager, window)


@contextmanager
def worker_alerts(settings: Settings) -> Iterator[Alerts]:
    """Alerting for the `smn worker` process: failed jobs, and the monitor (PostgreSQL, Odoo, backlog).

    Its own small pool and Odoo client, so the outbox worker's are left alone; the monitor's
    Odoo probes feed this client's breaker, which raises odoo_down/odoo_recovered with no traffic.
    """
    database = Database(settings.database_url, 2)
    odoo = OdooClient.from_settings(settings)
    alerts = build_alerts(settings, database, odoo)
    # Jobs run only in `smn worker`, so only this process listens for jobs that failed for good.
    alerts.job_failed = on_job_failed(JobFailedRule(alerts.manager))
    alerts.start_monitor()
    try:
        yield alerts
    finally:
        alerts.close()
        odoo.close()
        database.close()
