"""/v1/invoices: customer invoices and credit notes, read only."""
from __future__ import annotations

import falcon

from smn.auth.scopes import requires_scope
from smn.resources.partner_base import PartnerApiContext, page_request, parse_query, send_etagged, send_page
from smn.schemas.invoices import InvoiceQuerySchema
from smn.services.invoices import InvoiceService


class InvoicesResource:
    """Customer invoices (out_invoice) and credit notes (out_refund); other journal entries are invisible."""

    def __init__(self, service: InvoiceService, api: PartnerApiContext) -> None:
        self.service = service
        self.api = api
        self.query = InvoiceQuerySchema()

    @requires_scope("invoices:read")
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
            description: "The token lacks invoices:read, or Odoo refused."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Unknown or invalid query parameters."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable; retry after Retry-After seconds."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        query = parse_query(req, self.query)
        found, items = self.service.list(query, page_request(query))
        send_page(req, resp, self.api.settings, found, items)

    @requires_scope("invoices:read")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, invoice_id: int) -> None:
        """Read an invoice.
        ---
        summary: Read an invoice or credit note
        tags: [Invoices]
        responses:
          200:
            description: The invoice with its lines, with an ETag.
            headers:
              ETag: {description: "Strong validator of this representation.", schema: {type: string}}
            content:
              application/json:
                schema: InvoiceSchema
          304:
            description: "Unchanged since the ETag in If-None-Match."
          404:
            description: "No such customer invoice or credit note."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        send_etagged(req, resp, self.service.get(invoice_id))
