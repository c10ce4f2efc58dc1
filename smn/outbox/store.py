"""The outbox table: queue a write, claim the next one a client may run, record how it ended.

Claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` so any number of workers on
any number of hosts can share one outbox without taking a job twice, and only
a client's oldest open job is ever claimable: its next job waits until that
one is done or failed. A claim is a lease: a job still 'running' after
`locked_until` (its worker died) is claimable again.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.extras

from smn.db import Database

CHANNEL = "smn_outbox"

_COLUMNS = """id::text, seq, client_id, kind, params, body, status, attempts, next_attempt_at, result_status,
              result, last_error, request_id, created_at, updated_at, finished_at, callback_status,
              callback_attempts, locked_by"""


@dataclass(frozen=True)
class Job:
    id: str
    seq: int
    client_id: str
    kind: str
    params: dict[str, Any]
    body: Any
    status: str
    attempts: int
    next_attempt_at: datetime
    result_status: int | None
    result: Any
    last_error: str | None
    request_id: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    callback_status: str | None
    callback_attempts: int
    locked_by: str | None


def _job(row: tuple | None) -> Job | None:
    return Job(*row) if row is not None else None


@dataclass(frozen=True)
class Backlog:
    """What alerts watch: open jobs and how long the oldest has waited."""

    queued: int
    running: int
    oldest_queued_age: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"queued": self.queued, "running": self.running, "oldest_queued_age_seconds": self.oldest_queued_age}


def new_job_id() -> str:
    return str(uuid.uuid4())


class OutboxStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    # ------------------------------------------------------------ partner side

    def enqueue(self, job_id: str, client_id: str, kind: str, params: dict[str, Any], body: Any,
                request_id: str | None) -> Job:
        row = self.database.fetch_one(
            f"""INSERT INTO outbox_jobs (id, client_id, kind, params, body, request_id)
                VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
            (job_id, client_id, kind, psycopg2.extras.Json(params), psycopg2.extras.Json(body), request_id))
        return _job(row)

    def get(self, job_id: str, client_id: str) -> Job | None:
        """The job, only for the client that queued it."""
        try:
            uuid.UUID(job_id)
        except ValueError:
            return None
        return _job(self.database.fetch_one(
            f"SELECT {_COLUMNS} FROM outbox_jobs WHERE id = %s AND client_id = %s", (job_id, client_id)))

    def list(self, status: str | None = None, limit: int = 100) -> list[Job]:
        """Any client's jobs, newest first (the admin's view); `status` filters."""
        where, params = ("WHERE status = %s", [status]) if status else ("", [])
        rows = self.database.fetch_all(
            f"SELECT {_COLUMNS} FROM outbox_jobs {where} ORDER BY seq DESC LIMIT %s", (*params, limit))
        return [Job(*row) for row in rows]

    def find(self, job_id: str) -> Job | None:
        """Any client's job by id (the admin's view); None for an unknown or malformed id."""
        try:
            uuid.UUID(job_id)
        except ValueError:
            return None
        return _job(self.database.fetch_one(f"SELECT {_COLUMNS} FROM outbox_jobs WHERE id = %s", (job_id,)))

    def requeue(self, job_id: str) -> Job | None:
        """A failed or cancelled job goes back to the queue, due now; None when it is neither."""
        row = self.database.fetch_one(
            f"""WITH j AS (
                    UPDATE outbox_jobs SET status = 'queued', next_attempt_at = now(), updated_at = now(),
                           finished_at = NULL, locked_by = NULL, locked_until = NULL
                     WHERE id = %s AND status IN ('failed', 'cancelled') RETURNING {_COLUMNS})
                SELECT j.*, pg_notify(%s, j.client_id) FROM j""", (job_id, CHANNEL))
        return _job(row[:-1]) if row is not None else None

    def cancel(self, job_id: str, client_id: str) -> Job | None:
        """Cancel a job that has not started; None when it is not queued (any more)."""
        return _job(self.database.fetch_one(
            f"""UPDATE outbox_jobs SET status = 'cancelled', updated_at = now(), finished_at = now()
                 WHERE id = %s AND client_id = %s AND status = 'queued' RETURNING {_COLUMNS}""",
            (job_id, client_id)))

    # ------------------------------------------------------------ worker side

    def claim(self, worker_id: str, lease: float) -> Job | None:
        """Take the next due job whose client has no older open job; None when there is none."""
        return _job(self.database.fetch_one(
            f"""UPDATE outbox_jobs SET status = 'running', attempts = attempts + 1, locked_by = %(worker)s,
                       locked_until = now() + make_interval(secs => %(lease)s), updated_at = now()
                 WHERE id = (
                     SELECT j.id FROM outbox_jobs j
                      WHERE ((j.status = 'queued' AND j.next_attempt_at <= now())
                             OR (j.status = 'running' AND j.locked_until < now()))
                        AND NOT EXISTS (SELECT 1 FROM outbox_jobs e
                                         WHERE e.client_id = j.client_id AND e.seq < j.seq
                                           AND e.status IN ('queued', 'running'))
                      ORDER BY j.next_attempt_at, j.seq
                      LIMIT 1
                      FOR UPDATE SKIP LOCKED)
                RETURNING {_COLUMNS}""",
            {"worker": worker_id, "lease": lease}))

    def finish(self, job: Job, worker_id: str, status: str, result_status: int, result: Any) -> Job | None:
        """Record 'done' or 'failed' (only while this worker still holds the job).

        The same statement makes the callback 'pending' and due now when the
        client has a callback URL at this moment.
        """
        return _job(self.database.fetch_one(
            f"""WITH c AS (SELECT NULLIF((SELECT callback_url FROM api_clients WHERE client_id = %(client)s), '')
                                  IS NOT NULL AS wanted)
                UPDATE outbox_jobs SET status = %(status)s, result_status = %(result_status)s, result = %(result)s,
                       updated_at = now(), finished_at = now(), locked_by = NULL, locked_until = NULL,
                       callback_status = CASE WHEN c.wanted THEN 'pending' END,
                       callback_next_at = CASE WHEN c.wanted THEN now() END
                  FROM c
                 WHERE id = %(id)s AND locked_by = %(worker)s AND status = 'running' RETURNING {_COLUMNS}""",
            {"client": job.client_id, "status": status, "result_status": result_status,
             "result": psycopg2.extras.Json(result), "id": job.id, "worker": worker_id}))

    def retry_later(self, job: Job, worker_id: str, delay: float, error: str) -> bool:
        return bool(self.database.execute(
            """UPDATE outbox_jobs SET status = 'queued', next_attempt_at = now() + make_interval(secs => %s),
                      last_error = %s, locked_by = NULL, locked_until = NULL, updated_at = now()
                WHERE id = %s AND locked_by = %s AND status = 'running'""",
            (delay, error, job.id, worker_id)))

    def seconds_to_next_due(self) -> float | None:
        """Seconds until the earliest open job becomes claimable (0 when one already is)."""
        row = self.database.fetch_one(
            """SELECT extract(epoch FROM min(CASE WHEN status = 'queued' THEN next_attempt_at ELSE locked_until END)
                                         - now())
                 FROM outbox_jobs WHERE status IN ('queued', 'running')""")
        if row is None or row[0] is None:
            return None
        return max(float(row[0]), 0.0)

    def callback_url(self, client_id: str) -> str | None:
        row = self.database.fetch_one("SELECT callback_url FROM api_clients WHERE client_id = %s", (client_id,))
        return row[0] if row and row[0] else None

    # ------------------------------------------------------------ callbacks

    def claim_callback(self, lease: float) -> Job | None:
        """A job whose callback is due, pushed `lease` seconds ahead so no other worker sends it meanwhile."""
        return _job(self.database.fetch_one(
            f"""UPDATE outbox_jobs SET callback_next_at = now() + make_interval(secs => %s),
                       callback_attempts = callback_attempts + 1
                 WHERE id = (SELECT id FROM outbox_jobs
                              WHERE callback_status = 'pending' AND callback_next_at <= now()
                              ORDER BY callback_next_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING {_COLUMNS}""", (lease,)))

    def callback_sent(self, job: Job) -> None:
        self.database.execute(
            """UPDATE outbox_jobs SET callback_status = 'delivered', callback_next_at = NULL, callback_error = NULL
                WHERE id = %s""", (job.id,))

    def callback_failed(self, job: Job, error: str, delay: float | None) -> None:
        """Try again after `delay` seconds, or give up (None)."""
        self.database.execute(
            """UPDATE outbox_jobs SET callback_error = %s,
                      callback_status = CASE WHEN %s IS NULL THEN 'failed' ELSE 'pending' END,
                      callback_next_at = CASE WHEN %s IS NULL THEN NULL
                                              ELSE now() + make_interval(secs => %s) END
                WHERE id = %s""", (error, delay, delay, delay, job.id))

    # ------------------------------------------------------------ monitoring

    def backlog(self) -> Backlog:
        row = self.database.fetch_one(
            """SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'running'),
                      extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'queued'))
                 FROM outbox_jobs WHERE status IN ('queued', 'running')""")
        queued, running, age = row
        return Backlog(int(queued), int(running), float(age) if age is not None else None)
