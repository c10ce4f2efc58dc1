"""/v1/invoices: customer invoices and credit notes, read only."""
from __future__ import annotations

import falcon

from smn.auth.scopes import requires_scope
from smn.cache import cached_read
from smn.resources.partner_base import PartnerApiContext, send_collection, send_etagged
from smn.schemas.invoices import InvoiceQuerySchema
from smn.services.invoices import InvoiceService


class InvoicesResource:
    """Customer invoices (out_invoice) and credit notes (out_refund); other journal entries are invisible."""

    def __init__(self, service: InvoiceService, api: PartnerApiContext) -> None:
        self.service = service
        self.api = api
        self.query = InvoiceQuerySchema()

    @requires_scope("invoices:read")
    @cached_read("invoices")
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List invoices.
        ---
        summary: List invoices and credit notes
        description: Customer invoices and credit notes matching the filters, newest first, with their lines.
        tags: [Invoices]
        parameters:
          - in: query
            schema: InvoiceQuerySchema
        responses:
          200:
            description: A page of invoices.
            content:
              application/json:
                schema: InvoicePageSchema
          403:
            $ref: '#/components/responses/Forbidden'
            description: "The token lacks invoices:read, or Odoo refused."
          422: {$ref: '#/components/responses/InvalidQuery'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_collection(req, resp, self.api.settings, self.query, self.service.list)

    @requires_scope("invoices:read")
    @cached_read("invoices")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, invoice_id: int) -> None:
        """Read an invoice.
        ---
        summary: Read an invoice or credit note
        tags: [Invoices]
        responses:
          200:
            description: The invoice with its lines, with an ETag.
            headers:
              ETag: {$ref: '#/components/headers/ETag'}
            content:
              application/json:
                schema: InvoiceSchema
          304: {$ref: '#/components/responses/NotModified'}
          404:
            $ref: '#/components/responses/NotFound'
            description: "No such customer invoice or credit note."
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_etagged(req, resp, self.service.get(invoice_id))
