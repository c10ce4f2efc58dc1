"""Queued partner writes (the outbox) and the worker that delivers them to Odoo.

Hooks for other parts of SMN (alerts):

- ``on_job_failed(callback)``: ``callback(job)`` runs in the worker when a job fails for good.
- ``backlog_stats(database)``: open jobs and the age of the oldest queued one.
"""
from __future__ import annotations

from smn.db import Database
from smn.outbox.hooks import on_job_failed, remove_job_failed
from smn.outbox.store import Backlog, Job, OutboxStore


def backlog_stats(database: Database) -> Backlog:
    """Queued and running jobs, and the age in seconds of the oldest queued one (None when none)."""
    return OutboxStore(database).backlog()


__all__ = ["Backlog", "Job", "OutboxStore", "backlog_stats", "on_job_failed", "remove_job_failed"]
