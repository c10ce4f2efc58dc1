"""/v1/orders: list, read, create (one or a batch), confirm and cancel sale orders."""
from __future__ import annotations

from typing import Any, Callable

import falcon
from marshmallow import ValidationError

from smn.auth.scopes import requires_scope
from smn.cache import cached_read
from smn.errors import problem_body
from smn.idempotency import Reply
from smn.outbox.accept import JobSpec
from smn.resources.partner_base import (
    PartnerApiContext,
    flatten_errors,
    json_reply,
    load,
    read_json,
    require_object,
    send_collection,
    send_etagged,
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
    @cached_read("orders")
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
            $ref: '#/components/responses/Forbidden'
            description: "The token lacks orders:read, or Odoo refused."
          422: {$ref: '#/components/responses/InvalidQuery'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_collection(req, resp, self.api.settings, self.query, self.service.list)

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
          - IdempotencyKey
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
          202: {$ref: '#/components/responses/Queued'}
          201:
            description: The order was created; Location names it.
            headers:
              Location: {description: "URL of the new order.", schema: {type: string}}
            content:
              application/json:
                schema: OrderSchema
          400: {$ref: '#/components/responses/BadRequest'}
          409:
            description: "A request with this Idempotency-Key is still running."
            content: {application/problem+json: {schema: ProblemSchema}}
          413: {$ref: '#/components/responses/PayloadTooLarge'}
          415: {$ref: '#/components/responses/UnsupportedMediaType'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "Invalid fields, unknown partner or products, or Odoo refused the order."
          503:
            $ref: '#/components/responses/OdooUnavailable'
            description: "Odoo is unreachable; retry with the same Idempotency-Key."
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        load(self.create_schema, body)
        self.api.writer.run(req, resp, body, lambda: self.create_reply(body, {}), job=JobSpec("orders.create"))

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
          - IdempotencyKey
        requestBody:
          required: true
          content:
            application/json:
              schema: OrderBatchSchema
        responses:
          202: {$ref: '#/components/responses/Queued'}
          200:
            description: One result per submitted order.
            content:
              application/json:
                schema: BatchResultSchema
          400: {$ref: '#/components/responses/BadRequest'}
          413: {$ref: '#/components/responses/PayloadTooLarge'}
          415: {$ref: '#/components/responses/UnsupportedMediaType'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "The batch is empty, too large or not a list of orders."
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        body = require_object(read_json(req, self.api.max_body_bytes))
        orders = self._batch_orders(body)  # a malformed batch is refused here, before any key or job
        lease = self.api.settings.odoo_read_timeout * (2 * len(orders) + 4)
        self.api.writer.run(req, resp, body, lambda: self.batch_reply(body, {}), lease, job=JobSpec("orders.batch"))

    @requires_scope("orders:read")
    @cached_read("orders")
    def on_get_item(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Read an order.
        ---
        summary: Read an order
        tags: [Orders]
        responses:
          200:
            description: The order with its lines, with an ETag.
            headers:
              ETag: {$ref: '#/components/headers/ETag'}
            content:
              application/json:
                schema: OrderSchema
          304: {$ref: '#/components/responses/NotModified'}
          404: {$ref: '#/components/responses/NotFound'}
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        send_etagged(req, resp, self.service.get(order_id))

    @requires_scope("orders:write")
    def on_post_confirm(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Confirm an order.
        ---
        summary: Confirm an order
        tags: [Orders]
        parameters:
          - IdempotencyKey
        responses:
          202: {$ref: '#/components/responses/Queued'}
          200:
            description: The confirmed order.
            content:
              application/json:
                schema: OrderSchema
          404: {$ref: '#/components/responses/NotFound'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "Odoo refused (e.g. the order is not a quotation any more)."
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        self._action(req, resp, "orders.confirm", order_id)

    @requires_scope("orders:write")
    def on_post_cancel(self, req: falcon.Request, resp: falcon.Response, order_id: int) -> None:
        """Cancel an order.
        ---
        summary: Cancel an order
        tags: [Orders]
        parameters:
          - IdempotencyKey
        responses:
          202: {$ref: '#/components/responses/Queued'}
          200:
            description: The cancelled order.
            content:
              application/json:
                schema: OrderSchema
          404: {$ref: '#/components/responses/NotFound'}
          422:
            $ref: '#/components/responses/ValidationFailed'
            description: "Odoo refused (e.g. it has invoices or deliveries)."
          503: {$ref: '#/components/responses/OdooUnavailable'}
        """
        self._action(req, resp, "orders.cancel", order_id)

    def _action(self, req: falcon.Request, resp: falcon.Response, kind: str, order_id: int) -> None:
        body = load(self.empty_schema, require_object(read_json(req, self.api.max_body_bytes, optional=True)))
        params = {"order_id": order_id}
        action = self.job_actions()[kind]
        self.api.writer.run(req, resp, body, lambda: action(body, params), job=JobSpec(kind, params))

    # ------------------------------------------------------------ writes, also run by outbox jobs

    def job_actions(self) -> dict[str, Callable[[Any, dict[str, Any]], Reply]]:
        """The writes an outbox job may hold; the worker runs them exactly as the responders do."""
        return {"orders.create": self.create_reply, "orders.batch": self.batch_reply,
                "orders.confirm": self.confirm_reply, "orders.cancel": self.cancel_reply}

    def create_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        created = self.service.create(load(self.create_schema, body))
        return json_reply(created, 201, {"Location": self.api.link(f"/v1/orders/{created['id']}")})

    def batch_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        orders = self._batch_orders(body)
        valid, rejected = self._split(orders)
        outcomes = {**rejected, **(self.service.create_batch(valid) if valid else {})}
        return json_reply({"results": [_result(index, outcomes[index]) for index in range(len(orders))]})

    def confirm_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        return json_reply(self.service.confirm(params["order_id"]))

    def cancel_reply(self, body: Any, params: dict[str, Any]) -> Reply:
        return json_reply(self.service.cancel(params["order_id"]))

    def _batch_orders(self, body: Any) -> list[Any]:
        orders = load(self.batch_schema, body)["orders"]
        if len(orders) > self.batch_max_orders:
            raise validation_problem([{"field": "orders", "message": f"At most {self.batch_max_orders} orders "
                                       "per batch."}])
        return orders

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
