"""Outbox jobs as partners see them (GET /v1/jobs/{id}, the 202 answer of a queued write)."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from smn.schemas.common import REQUEST_ID_EXAMPLE, ProblemSchema

JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
JOB_ID_EXAMPLE = "0b6f7c1e-8d44-4a8e-9f1c-5b2a3e7d9c01"


class JobLinksSchema(Schema):
    self = fields.String(required=True, metadata={"description": "This job.",
                                                  "example": f"/v1/jobs/{JOB_ID_EXAMPLE}"})


class JobAcceptedSchema(Schema):
    """The 202 answer: the write was queued; follow `links.self` (also the Location header)."""

    id = fields.UUID(required=True, metadata={"example": JOB_ID_EXAMPLE})
    status = fields.String(required=True, validate=validate.OneOf(JOB_STATUSES), metadata={"example": "queued"})
    request_id = fields.String(allow_none=True, metadata={"example": REQUEST_ID_EXAMPLE})
    links = fields.Nested(JobLinksSchema, required=True)


class JobResultSchema(Schema):
    """The body the synchronous endpoint would have answered (an order, a partner, batch results)."""

    class Meta:
        unknown = INCLUDE


class JobSchema(Schema):
    """A queued write and how it ended."""

    id = fields.UUID(required=True, metadata={"example": JOB_ID_EXAMPLE})
    kind = fields.String(required=True, metadata={
        "description": "orders.create, orders.batch, orders.confirm, orders.cancel, partners.create or "
                       "partners.update.", "example": "orders.create"})
    status = fields.String(required=True, validate=validate.OneOf(JOB_STATUSES), metadata={
        "description": "queued (waiting, maybe for a retry), running, done, failed (for good) or cancelled.",
        "example": "done"})
    attempts = fields.Integer(required=True, metadata={"description": "Deliveries tried so far.", "example": 1})
    next_attempt_at = fields.String(allow_none=True, metadata={
        "description": "When a queued job is tried next (ISO 8601, UTC).", "example": "2026-12-01T10:00:05Z"})
    last_error = fields.String(allow_none=True, metadata={
        "description": "Why the last attempt of a queued job did not finish (an Odoo outage).",
        "example": "Odoo is unreachable right now; retry later."})
    result_status = fields.Integer(allow_none=True, metadata={
        "description": "The HTTP status the synchronous endpoint would have answered.", "example": 201})
    result = fields.Nested(JobResultSchema, allow_none=True, metadata={
        "description": "Of a done job: the body the synchronous endpoint would have answered."})
    problem = fields.Nested(ProblemSchema, allow_none=True, metadata={
        "description": "Of a failed job: the problem the synchronous endpoint would have answered."})
    request_id = fields.String(allow_none=True, metadata={
        "description": "X-Request-Id of the request that queued the job.", "example": REQUEST_ID_EXAMPLE})
    created_at = fields.String(required=True, metadata={"example": "2026-12-01T10:00:00Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-12-01T10:00:06Z"})
    finished_at = fields.String(allow_none=True, metadata={"example": "2026-12-01T10:00:06Z"})
    links = fields.Nested(JobLinksSchema, required=True)
