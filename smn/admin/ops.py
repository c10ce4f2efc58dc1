"""What the Overview, Jobs and Alerts pages show: Odoo and its circuit, the outbox, alerts, traffic.

The outbox and alerts belong to their own packages; this module reads their
tables (through OutboxStore where it has the query) and performs the two admin
actions on jobs (retry, cancel) and the one on alerts (acknowledge).
"""
from __future__ import annotations

from typing import Any

from smn.admin.audit import AuditLog
from smn.alerts import acknowledge, list_alerts
from smn.db import Database
from smn.odoo.client import OdooClient
from smn.odoo.errors import OdooError
from smn.outbox.store import Job, OutboxStore
from smn.schemas.jobs import JOB_STATUSES
from smn.timefmt import utc_iso

JOB_ACTIONS = ("retry", "cancel")


class NotFound(LookupError):
    """No such job, alert or action (or not in a state the action applies to); the admin answers 404."""


class OpsView:
    def __init__(self, database: Database, odoo: OdooClient, audit: AuditLog, error_window: Any = None) -> None:
        """`error_window`: the alerts' per-worker ErrorRateWindow, the source of recent traffic."""
        self.database = database
        self.odoo = odoo
        self.audit = audit
        self.error_window = error_window
        self.outbox = OutboxStore(database)

    # -- overview ------------------------------------------------------------------

    def odoo_status(self, timeout: float = 2.0) -> dict[str, Any]:
        breaker = getattr(self.odoo, "breaker", None)
        circuit = breaker.describe() if breaker is not None else {"state": "unknown"}
        try:
            version = self.odoo.version(timeout=timeout)
            status = {"reachable": True, "version": str((version or {}).get("server_version", "?"))}
        except OdooError as exc:
            status = {"reachable": False, "error": exc.message[:200]}
        return {**status, "circuit": circuit}

    def traffic(self) -> dict[str, Any]:
        """Responses and 5xx of this worker over the alerting window (smn.alerts.rules.ErrorRateWindow)."""
        window = self.error_window
        if window is None:
            return {"available": False}
        return {"available": True, "window_seconds": window.window, **window.counts(), "scope": "this worker"}

    def backlog(self) -> dict[str, Any]:
        return self.outbox.backlog().as_dict()

    def overview(self) -> dict[str, Any]:
        return {"odoo": self.odoo_status(), "traffic": self.traffic(), "outbox": self.backlog(),
                "jobs_by_status": self.job_counts(), "alerts": self.alerts(limit=5)}

    # -- jobs ----------------------------------------------------------------------

    def job_counts(self) -> dict[str, int]:
        rows = self.database.fetch_all("SELECT status, count(*) FROM outbox_jobs GROUP BY status")
        counts = dict.fromkeys(JOB_STATUSES, 0)
        counts.update({status: int(count) for status, count in rows})
        return counts

    def jobs(self, status: str | None = None, limit: int = 100) -> list[Job]:
        return self.outbox.list(status if status in JOB_STATUSES else None, limit)

    def job(self, job_id: str) -> Job:
        job = self.outbox.find(job_id)
        if job is None:
            raise NotFound(job_id)
        return job

    def retry_job(self, actor: str, job_id: str) -> Job:
        """A failed or cancelled job goes back to the queue, due now."""
        self.job(job_id)
        job = self.outbox.requeue(job_id)
        if job is None:
            raise NotFound(f"{job_id} is not failed or cancelled")
        self.audit.record(actor, "job.retry", job_id)
        return job

    def cancel_job(self, actor: str, job_id: str) -> Job:
        job = self.job(job_id)
        cancelled = self.outbox.cancel(job_id, job.client_id)
        if cancelled is None:
            raise NotFound(f"{job_id} is not queued")
        self.audit.record(actor, "job.cancel", job_id)
        return cancelled

    def job_action(self, actor: str, job_id: str, action: str) -> Job:
        """retry or cancel; NotFound for any other action."""
        if action == "retry":
            return self.retry_job(actor, job_id)
        if action == "cancel":
            return self.cancel_job(actor, job_id)
        raise NotFound(f"unknown action {action!r}; one of {', '.join(JOB_ACTIONS)}")

    # -- alerts --------------------------------------------------------------------

    def alerts(self, limit: int = 100, open_only: bool = False) -> list[dict[str, Any]]:
        return list_alerts(self.database, limit=limit, unacknowledged=open_only)

    def acknowledge(self, actor: str, alert_id: int) -> None:
        if not acknowledge(self.database, alert_id, f"admin:{actor}"):
            raise NotFound(str(alert_id))
        self.audit.record(actor, "alert.acknowledge", str(alert_id))


def job_dict(job: Job) -> dict[str, Any]:
    return {"id": job.id, "client_id": job.client_id, "kind": job.kind, "status": job.status,
            "attempts": job.attempts, "params": job.params, "body": job.body, "result_status": job.result_status,
            "result": job.result, "last_error": job.last_error, "request_id": job.request_id,
            "created_at": utc_iso(job.created_at), "updated_at": utc_iso(job.updated_at),
            "finished_at": utc_iso(job.finished_at), "next_attempt_at": utc_iso(job.next_attempt_at)}
