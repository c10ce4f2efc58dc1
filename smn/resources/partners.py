"""/v1/partners: search, read, create and update partners (Odoo res.partner)."""
from __future__ import annotations

from typing import Any, Callable

import falcon

from smn.auth.scopes import requires_scope
from smn.idempotency import Reply
from smn.outbox.accept import JobSpec
from smn.cache import cached_read
from smn.resources.partner_base import (
    PartnerApiContext,
    json_reply,
    load,
    read_json,
    require_object,
    send_collection,
    send_etagged,
)
from smn.schemas.partners import PartnerCreateSchema, PartnerQuerySchema, PartnerUpdateSchema
from smn.services.partners import PartnerService

class PartnersResource:
    """The partner collection and its items (suffix "item")."""

    def __init__(self, service: PartnerService, api: PartnerApiContext) -> None:
        self.service = service
        self.api = api
        self.query = PartnerQuerySchema()
        self.create_schema = PartnerCreateSchema()
        self.update_schema = PartnerUpdateSchema()

    @requires_scope("partners:read")
    @cached_read("partners")
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List partners.
        ---
        summary: List or export partners
        description: >
          Partners matching the filters, ordered by id, one page at a time. With
          `Accept: application/x-ndjson` every match is streamed instead, one JSON
          partner per line (no `limit`/`offset`), for full synchronisations.
        tags: [Partners]
        parameters:
          - in: query
            schema: PartnerQuerySchema
        responses:
          200:
            description: A page of partners, or every match as NDJSON.
            content:
              application/json:
                schema: PartnerPageSchema
              application/x-ndjson:
                schema: PartnerSchema
          403:
            $ref: '#/components/responses/Forbidden'
            description: "The token lacks partners:read, or Odoo refused."
          422: {$ref: '#/components/responses/InvalidQuery'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_collection(req, resp, self.api.settings, self.query, self.service.list, self.service.export)

    @requires_scope("partners:write")
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a partner.
        ---
        summary: Create a partner
        tags: [Partners]
        parameters:
          - IdempotencyKey
        requestBody:
          required: true
          content:
            application/json:
              schema: PartnerCreateSchema
        responses:
          202: {$ref: '#/components/responses/Queued'}
          201:
            description: The partner was created; Location names it.
            headers:
              Location: {description: "URL of the new partner.", schema: {type: string}}
            content:
              application/json:
                schema: PartnerSchema
          400: {$ref: '#/components/responses/BadRequest'}
          413: {$ref: '#/components/responses/PayloadTooLarge'}
          415: {$ref: '#/components/responses/UnsupportedMediaType'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "Invalid fields, or Odoo rejected the partner."
          503:
            $ref: '#/components/responses/OdooUnavailable'
            description: "Odoo is unreachable; retry with the same Idempotency-Key."
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        load(self.create_schema, body)
        # Not retry-safe: res.partner carries no tag, so only a failure before the write is queued.
        self.api.writer.run(req, resp, body, lambda: self.create_reply(body, {}),
                            job=JobSpec("partners.create", retry_safe=False))

    @requires_scope("partners:read")
    @cached_read("partners")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, partner_id: int) -> None:
        """Read a partner.
        ---
        summary: Read a partner
        tags: [Partners]
        responses:
          200:
            description: The partner; send its ETag back in If-None-Match to skip unchanged downloads.
            headers:
              ETag: {$ref: '#/components/headers/ETag'}
            content:
              application/json:
                schema: PartnerSchema
          304: {$ref: '#/components/responses/NotModified'}
          404: {$ref: '#/components/responses/NotFound'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_etagged(req, resp, self.service.get(partner_id))

    @requires_scope("partners:write")
    def on_patch_item(self, req: falcon.Request, resp: falcon.Response, partner_id: int) -> None:
        """Update a partner.
        ---
        summary: Update a partner
        description: Send only the fields to change; `null` clears a field.
        tags: [Partners]
        parameters:
          - IdempotencyKey
        requestBody:
          required: true
          content:
            application/json:
              schema: PartnerUpdateSchema
        responses:
          202: {$ref: '#/components/responses/Queued'}
          200:
            description: The partner after the change.
            content:
              application/json:
                schema: PartnerSchema
          400: {$ref: '#/components/responses/BadRequest'}
          404: {$ref: '#/components/responses/NotFound'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "Invalid fields, or Odoo rejected the change."
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        load(self.update_schema, body)
        params = {"partner_id": partner_id}
        self.api.writer.run(req, resp, body, lambda: self.update_reply(body, params),
                            job=JobSpec("partners.update", params))

    # ------------------------------------------------------------ writes, also run by outbox jobs

    def job_actions(self) -> dict[str, Callable[[Any, dict[str, Any]], Reply]]:
        """The writes an outbox job may hold; the worker runs them exactly as the responders do."""
        return {"partners.create": self.create_reply, "partners.update": self.update_reply}

    def create_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        partner = self.service.create(load(self.create_schema, body))
        return json_reply(partner, 201, {"Location": self.api.link(f"/v1/partners/{partner['id']}")})

    def update_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        return json_reply(self.service.update(params["partner_id"], load(self.update_schema, body)))
