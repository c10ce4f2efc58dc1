"""Schemas every part of the API shares: problems and the probes.

The `example` metadata is what ReDoc shows in its sample panels; keep the
examples realistic, partners copy them.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

REQUEST_ID_EXAMPLE = "6f1c2a7e-3b9d-4c1e-9a55-0d2f8e4b7c10"


class FieldErrorSchema(Schema):
    """One rejected input field of a 422 problem."""

    field = fields.String(required=True, metadata={
        "description": "Dotted path of the rejected field in the request body or query.",
        "example": "lines.0.quantity"})
    message = fields.String(required=True, metadata={
        "description": "Why the value was rejected, in English.",
        "example": "Must be greater than 0."})


class ProblemSchema(Schema):
    """An RFC 9457 problem document, served as application/problem+json."""

    class Meta:
        # Some problems carry extra members (readiness adds `checks`).
        unknown = INCLUDE

    type = fields.String(required=True, metadata={
        "description": "Relative URI naming the kind of problem; stable, safe to switch on.",
        "example": "/problems/unprocessable-content"})
    title = fields.String(required=True, metadata={
        "description": "Short human summary of the problem type.",
        "example": "Unprocessable Content"})
    status = fields.Integer(required=True, validate=validate.Range(400, 599), metadata={
        "description": "The HTTP status code, repeated for convenience.",
        "example": 422})
    detail = fields.String(metadata={
        "description": "What went wrong with this particular request.",
        "example": "The order has 1 invalid line."})
    request_id = fields.String(required=True, metadata={
        "description": "The X-Request-Id of the request; quote it when contacting support.",
        "example": REQUEST_ID_EXAMPLE})
    errors = fields.List(fields.Nested(FieldErrorSchema), metadata={
        "description": "Field-level errors, present on validation problems."})


class HealthSchema(Schema):
    """Body of GET /healthz."""

    status = fields.String(required=True, validate=validate.OneOf(["ok"]), metadata={
        "description": "Always `ok` when the process answers.",
        "example": "ok"})


class ReadinessSchema(Schema):
    """Body of GET /readyz when every dependency answers."""

    status = fields.String(required=True, validate=validate.OneOf(["ready"]), metadata={
        "description": "`ready` when PostgreSQL and Odoo both answered.",
        "example": "ready"})
    checks = fields.Dict(keys=fields.String(), values=fields.String(), required=True, metadata={
        "description": "Result of each dependency check: `ok` or `unreachable`.",
        "example": {"postgresql": "ok", "odoo": "ok"}})
