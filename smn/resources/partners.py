"""/v1/partners: search, read, create and update partners (Odoo res.partner)."""
from __future__ import annotations

import falcon

from smn.auth.scopes import requires_scope
from smn.resources.partner_base import (
    PartnerApiContext,
    json_reply,
    load,
    page_request,
    parse_query,
    read_json,
    reject_paging_for_export,
    require_object,
    send_etagged,
    send_ndjson,
    send_page,
    wants_ndjson,
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
            description: "The token lacks partners:read, or Odoo refused."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Unknown or invalid query parameters."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable; retry after Retry-After seconds."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        query = parse_query(req, self.query)
        page = page_request(query)
        if wants_ndjson(req):
            reject_paging_for_export(req)
            send_ndjson(resp, self.service.export(query))
            return
        found, items = self.service.list(query, page)
        send_page(req, resp, self.api.settings, found, items)

    @requires_scope("partners:write")
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a partner.
        ---
        summary: Create a partner
        tags: [Partners]
        parameters:
          - in: header
            name: Idempotency-Key
            required: false
            schema: {type: string, maxLength: 255}
            description: "Retry-safe key; the same key and body return the first response."
        requestBody:
          required: true
          content:
            application/json:
              schema: PartnerCreateSchema
        responses:
          201:
            description: The partner was created; Location names it.
            headers:
              Location: {description: "URL of the new partner.", schema: {type: string}}
            content:
              application/json:
                schema: PartnerSchema
          400:
            description: "The body is not JSON."
            content: {application/problem+json: {schema: ProblemSchema}}
          413:
            description: "The body is too large."
            content: {application/problem+json: {schema: ProblemSchema}}
          415:
            description: "The body is not application/json."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Invalid fields, or Odoo rejected the partner."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable; retry with the same Idempotency-Key."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        data = load(self.create_schema, body)

        def create():
            partner = self.service.create(data)
            return json_reply(partner, 201, {"Location": self.api.link(f"/v1/partners/{partner['id']}")})

        self.api.writer.run(req, resp, body, create)

    @requires_scope("partners:read")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, partner_id: int) -> None:
        """Read a partner.
        ---
        summary: Read a partner
        tags: [Partners]
        responses:
          200:
            description: The partner; send its ETag back in If-None-Match to skip unchanged downloads.
            headers:
              ETag: {description: "Strong validator of this representation.", schema: {type: string}}
            content:
              application/json:
                schema: PartnerSchema
          304:
            description: "Unchanged since the ETag in If-None-Match."
          404:
            description: "No such partner."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
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
          - in: header
            name: Idempotency-Key
            required: false
            schema: {type: string, maxLength: 255}
            description: "Retry-safe key; the same key and body return the first response."
        requestBody:
          required: true
          content:
            application/json:
              schema: PartnerUpdateSchema
        responses:
          200:
            description: The partner after the change.
            content:
              application/json:
                schema: PartnerSchema
          400:
            description: "The body is not JSON."
            content: {application/problem+json: {schema: ProblemSchema}}
          404:
            description: "No such partner."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Invalid fields, or Odoo rejected the change."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        data = load(self.update_schema, body)
        self.api.writer.run(req, resp, body, lambda: json_reply(self.service.update(partner_id, data)))
