"""/v1/jobs/{id}: the status and outcome of a queued write, for the client that queued it."""
from __future__ import annotations

from typing import TYPE_CHECKING

import falcon

from smn.errors import Problem
from smn.outbox.store import Job, OutboxStore
from smn.outbox.views import job_document
from smn.resources.partner_base import client_id, send_json
from smn.schemas import jobs as _job_schemas  # noqa: F401  (registers JobSchema for the OpenAPI document)
from smn.settings import Settings

if TYPE_CHECKING:
    from smn.app import Services


class JobsResource:
    """One job ("item" suffix); another client's job is answered 404, as if it did not exist."""

    def __init__(self, store: OutboxStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, job_id: object) -> None:
        """Read a job.
        ---
        summary: Read a queued write
        description: >
          A write answered `202 Accepted` (Odoo was unreachable, or the request
          said `Prefer: respond-async`) is a job. Poll it until `status` is `done`
          (`result` holds what the synchronous endpoint would have answered) or
          `failed` (`problem` holds Odoo's refusal); or register a callback URL to
          be told. Only the client that queued a job sees it.
        tags: [Jobs]
        responses:
          200:
            description: The job.
            content:
              application/json:
                schema: JobSchema
          404:
            $ref: '#/components/responses/NotFound'
            description: "No such job for this client."
        """
        send_json(resp, job_document(self._job(req, str(job_id)), self.settings.link))
        resp.cache_control = ["no-store"]

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, job_id: object) -> None:
        """Cancel a job.
        ---
        summary: Cancel a queued write
        description: Only a job that is still `queued` can be cancelled; it will never run.
        tags: [Jobs]
        responses:
          200:
            description: The cancelled job.
            content:
              application/json:
                schema: JobSchema
          404:
            $ref: '#/components/responses/NotFound'
            description: "No such job for this client."
          409:
            description: "The job is already running or finished."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        cancelled = self.store.cancel(str(job_id), client_id(req))
        if cancelled is None:
            job = self._job(req, str(job_id))
            raise Problem(409, f"The job is {job.status}; only a queued job can be cancelled.",
                          slug="job-not-cancellable")
        send_json(resp, job_document(cancelled, self.settings.link))

    def _job(self, req: falcon.Request, job_id: str) -> Job:
        job = self.store.get(job_id, client_id(req))
        if job is None:
            raise Problem(404, f"Job {job_id} does not exist.", slug="not-found")
        return job


def add_job_routes(app: falcon.App, services: Services) -> None:
    if services.outbox is None:
        return
    app.add_route("/v1/jobs/{job_id:uuid}", JobsResource(services.outbox, services.settings), suffix="item")
