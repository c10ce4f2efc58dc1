"""The partner side of the outbox: answer 202 with a job instead of a 503, or when asked to.

A write is queued when Odoo is unreachable and a later attempt cannot
duplicate it:

- the failure happened before the request could reach Odoo (connection
  refused, connect timeout, open circuit, a proxy's 502/503/504) and nothing
  was written yet; or
- the write is retry-safe: its creates carry the job's exactly-once tag
  (smn.outbox.tagging) and its other calls are idempotent, so even a read
  timeout in the middle of it (Odoo may or may not have committed) is safe.

A partner may also ask for asynchronous processing with ``Prefer:
respond-async`` (RFC 7240): the write is queued without trying Odoo and
the answer carries ``Preference-Applied: respond-async``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import falcon
from urllib3.exceptions import ConnectTimeoutError, EmptyPoolError, NameResolutionError

from smn.context import current_request_id
from smn.idempotency import Reply, tracking_writes
from smn.odoo.errors import OdooUnavailable
from smn.outbox.store import Job, OutboxStore, new_job_id
from smn.outbox.tagging import tagging
from smn.outbox.views import accepted_document, job_path

log = logging.getLogger("smn.outbox")

PREFER_ASYNC = "respond-async"
PREFERENCE_APPLIED = "Preference-Applied"
NOT_SENT_CAUSES = (ConnectTimeoutError, NameResolutionError, EmptyPoolError)
"""urllib3 failures raised before a request left SMN (NewConnectionError is a ConnectTimeoutError)."""


@dataclass(frozen=True)
class JobSpec:
    """What the worker needs to run a write again: its kind, path parameters, and whether it is retry-safe."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    retry_safe: bool = True


def prefers_async(req: falcon.Request) -> bool:
    """True when a Prefer header (RFC 7240) holds the respond-async preference."""
    for value in req.get_header("Prefer", default="").split(","):
        if value.split(";", 1)[0].strip().lower() == PREFER_ASYNC:
            return True
    return False


def not_sent(exc: OdooUnavailable) -> bool:
    """True when the failed call certainly did not reach Odoo.

    Transport errors keep the urllib3 exception as their cause; a read timeout
    or a connection cut mid-answer is ambiguous. Errors without a transport
    cause (an open circuit, a proxy's 502/503/504) were refused before Odoo.
    """
    cause = exc.__cause__
    return cause is None or isinstance(cause, NOT_SENT_CAUSES)


def outage_of(exc: BaseException) -> OdooUnavailable | None:
    """The Odoo outage behind `exc`: itself, or the cause of a problem a service made of it."""
    if isinstance(exc, OdooUnavailable):
        return exc
    cause = exc.__cause__
    return cause if isinstance(cause, OdooUnavailable) else None


class Acceptor:
    """Wraps a write's action so an outage (or Prefer: respond-async) queues it and answers 202."""

    def __init__(self, store: OutboxStore, link: Callable[[str], str]) -> None:
        self.store = store
        self.link = link

    def wrap(self, req: falcon.Request, client_id: str, body: Any, action: Callable[[], Reply],
             spec: JobSpec) -> Callable[[], Reply]:
        job_id = new_job_id()
        if prefers_async(req):
            return lambda: self._queue(job_id, client_id, body, spec, async_requested=True)

        def attempt() -> Reply:
            with tagging(job_id, look_first=False), tracking_writes() as writes:
                try:
                    return action()
                except (OdooUnavailable, falcon.HTTPError) as exc:
                    outage = outage_of(exc)
                    if outage is None or not (spec.retry_safe or (not writes and not_sent(outage))):
                        raise
                    log.warning("odoo unavailable: write queued", extra={
                        "job_id": job_id, "job_kind": spec.kind, "odoo_error": str(outage)})
                    return self._queue(job_id, client_id, body, spec, async_requested=False)

        return attempt

    def _queue(self, job_id: str, client_id: str, body: Any, spec: JobSpec, async_requested: bool) -> Reply:
        job = self.store.enqueue(job_id, client_id, spec.kind, spec.params, body, current_request_id())
        return accepted_reply(job, self.link, async_requested)


def accepted_reply(job: Job, link: Callable[[str], str], async_requested: bool) -> Reply:
    headers = {"Location": link(job_path(job.id))}
    if async_requested:
        headers[PREFERENCE_APPLIED] = PREFER_ASYNC
    body = json.dumps(accepted_document(job, link), ensure_ascii=False, separators=(",", ":")).encode()
    return Reply(202, body, falcon.MEDIA_JSON, headers)
