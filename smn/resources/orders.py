"""/v1/orders: list, read, create (one or a batch), confirm and cancel sale orders."""
from __future__ import annotations

from typing import Any

import falcon
from marshmallow import ValidationError

from smn.auth.scopes import requires_scope
from smn.errors import problem_body
from smn.idempotency import Reply
from smn.resources.partner_base import (
    PartnerApiContext,
    flatten_errors,
    json_reply,
    load,
    page_request,
    parse_query,
    read_json,
    require_object,
    send_etagged,
    send_page,
    validation_problem,
)
from smn.schemas.orders import EmptyBodySchema, OrderBatchEnvelopeSchema, OrderCreateSchema, OrderQuerySchema
from smn.services.orders import OrderService, Outcome
from smn.services.partners import field_problem


class OrdersResource:
    """Sale orders: collection, items ("item"), batch ("batch"), confirm and cancel."""

    def __init__(self, service: OrderService, api: PartnerApiContext, batch_max_orders: int) -> None:
        self.service = service
        self.api = api
        self.batch_max_orders = batch_max_orders
        self.query = OrderQuerySchema()
        self.create_schema = OrderCreateSchema()
        self.batch_schema = OrderBatchEnvelopeSchema()
        self.empty_schema = EmptyBodySchema()

    @requires_scope("orders:read")
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List orders.
        ---
        summary: List orders
        description: Orders matching the filters, newest first, each with its lines.
        tags: [Orders]
        parameters:
          - in: query
            schema: OrderQuerySchema
        responses:
          200:
            description: A page of orders.
            content:
              application/json:
                schema: OrderPageSchema
          403:
            description: "The token lacks orders:read, or Odoo refused."
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

    @requires_scope("orders:write")
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create an order.
        ---
        summary: Create an order
        description: >
          Creates a quotation for the partner (by id or ref) with the given lines
          (products by id or sku), and confirms it when `confirm` is true. Partner
          and products are checked first: unknown ones answer 422 naming the field.
          If Odoo refuses the confirmation, the order stays a draft and the 422
          problem carries it in `order`.
        tags: [Orders]
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
              schema: OrderCreateSchema
              example:
                partner: {ref: ACME}
                client_order_ref: PO-2026-0042
                lines:
                  - {product: {sku: FURN_7777}, quantity: 2}
                  - {product: {id: 6}, quantity: 1, unit_price: 140.0}
                confirm: true
        responses:
          201:
            description: The order was created; Location names it.
            headers:
              Location: {description: "URL of the new order.", schema: {type: string}}
            content:
              application/json:
                schema: OrderSchema
          400:
            description: "The body is not JSON."
            content: {application/problem+json: {schema: ProblemSchema}}
          409:
            description: "A request with this Idempotency-Key is still running."
            content: {application/problem+json: {schema: ProblemSchema}}
          413:
            description: "The body is too large."
            content: {application/problem+json: {schema: ProblemSchema}}
          415:
            description: "The body is not application/json."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Invalid fields, unknown partner or products, or Odoo refused the order."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable; retry with the same Idempotency-Key."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        order = load(self.create_schema, body)

        def create() -> Reply:
            created = self.service.create(order)
            return json_reply(created, 201, {"Location": self.api.link(f"/v1/orders/{created['id']}")})

        self.api.writer.run(req, resp, body, create)

    @requires_scope("orders:write")
    def on_post_batch(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create many orders.
        ---
        summary: Create many orders at once
        description: >
          Up to the configured maximum of orders (100 by default) in one request.
          The answer is always 200 once the batch itself is well-formed, with one
          result per order in `results`, in the submitted order: `status` 201 and
          the `order`, or an error status and a `problem`. Orders are independent:
          one rejected order does not stop the others. Partners and products of the
          whole batch are looked up once.
        tags: [Orders]
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
              schema: OrderBatchSchema
        responses:
          200:
            description: One result per submitted order.
            content:
              application/json:
                schema: BatchResultSchema
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
            description: "The batch is empty, too large or not a list of orders."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        orders = load(self.batch_schema, body)["orders"]
        if len(orders) > self.batch_max_orders:
            raise validation_problem([{"field": "orders", "message": f"At most {self.batch_max_orders} orders "
                                       "per batch."}])
        valid, rejected = self._split(orders)

        def create() -> Reply:
            outcomes = {**rejected, **(self.service.create_batch(valid) if valid else {})}
            return json_reply({"results": [_result(index, outcomes[index]) for index in range(len(orders))]})

        lease = self.api.settings.odoo_read_timeout * (2 * len(valid) + 4)
        self.api.writer.run(req, resp, body, create, lease)

    @requires_scope("orders:read")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Read an order.
        ---
        summary: Read an order
        tags: [Orders]
        responses:
          200:
            description: The order with its lines, with an ETag.
            headers:
              ETag: {description: "Strong validator of this representation.", schema: {type: string}}
            content:
              application/json:
                schema: OrderSchema
          304:
            description: "Unchanged since the ETag in If-None-Match."
          404:
            description: "No such order."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        send_etagged(req, resp, self.service.get(order_id))

    @requires_scope("orders:write")
    def on_post_confirm(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Confirm an order.
        ---
        summary: Confirm an order
        tags: [Orders]
        parameters:
          - in: header
            name: Idempotency-Key
            required: false
            schema: {type: string, maxLength: 255}
            description: "Retry-safe key; the same key returns the first response."
        responses:
          200:
            description: The confirmed order.
            content:
              application/json:
                schema: OrderSchema
          404:
            description: "No such order."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Odoo refused (e.g. the order is not a quotation any more)."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        self._action(req, resp, lambda: self.service.confirm(order_id))

    @requires_scope("orders:write")
    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Cancel an order.
        ---
        summary: Cancel an order
        tags: [Orders]
        parameters:
          - in: header
            name: Idempotency-Key
            required: false
            schema: {type: string, maxLength: 255}
            description: "Retry-safe key; the same key returns the first response."
        responses:
          200:
            description: The cancelled order.
            content:
              application/json:
                schema: OrderSchema
          404:
            description: "No such order."
            content: {application/problem+json: {schema: ProblemSchema}}
          422:
            description: "Odoo refused (e.g. it has invoices or deliveries)."
            content: {application/problem+json: {schema: ProblemSchema}}
          503:
            description: "Odoo is unreachable."
            content: {application/problem+json: {schema: ProblemSchema}}
        """
        self._action(req, resp, lambda: self.service.cancel(order_id))

    def _action(self, req: falcon.Request, resp: falcon.Response, act) -> None:
        body = load(self.empty_schema, require_object(read_json(req, self.api.max_body_bytes, optional=True)))
        self.api.writer.run(req, resp, body, lambda: json_reply(act()))

    def _split(self, orders: list[Any]) -> tuple[dict[int, dict], dict[int, Outcome]]:
        """Each order validated on its own: the valid ones, and a 422 outcome for each other."""
        valid: dict[int, dict] = {}
        rejected: dict[int, Outcome] = {}
        for index, raw in enumerate(orders):
            try:
                valid[index] = self.create_schema.load(raw)
            except ValidationError as exc:
                rejected[index] = Outcome(422, problem=field_problem(flatten_errors(exc.messages)))
        return valid, rejected


def _result(index: int, outcome: Outcome) -> dict[str, Any]:
    if outcome.problem is not None:
        return {"index": index, "status": outcome.status, "problem": problem_body(outcome.problem)}
    return {"index": index, "status": outcome.status, "order": outcome.order}
