"""How a job looks to its partner: GET /v1/jobs/{id}, the 202 answer, and the callback body."""
from __future__ import annotations

from typing import Any, Callable

from smn.outbox.store import Job
from smn.timefmt import utc_iso


def job_path(job_id: str) -> str:
    return f"/v1/jobs/{job_id}"


def job_document(job: Job, link: Callable[[str], str]) -> dict[str, Any]:
    """Status, attempts, timing, and the outcome: `result` (as the synchronous answer) or `problem`."""
    failed = job.status == "failed"
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "next_attempt_at": utc_iso(job.next_attempt_at) if job.status == "queued" else None,
        "last_error": job.last_error if job.status in ("queued", "running") else None,
        "result_status": job.result_status,
        "result": None if failed else job.result,
        "problem": job.result if failed else None,
        "request_id": job.request_id,
        "created_at": utc_iso(job.created_at),
        "updated_at": utc_iso(job.updated_at),
        "finished_at": utc_iso(job.finished_at),
        "links": {"self": link(job_path(job.id))},
    }


def accepted_document(job: Job, link: Callable[[str], str]) -> dict[str, Any]:
    """The small 202 body: where to look, nothing else."""
    return {"id": job.id, "status": job.status, "request_id": job.request_id,
            "links": {"self": link(job_path(job.id))}}
