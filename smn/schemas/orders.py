"""Sale orders: creating them (one or a batch), reading them, their lines."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from smn.odoo.mapping import ORDER_STATES
from smn.schemas.common import ProblemSchema
from smn.schemas.pagination import (
    JsonBoolean,
    JsonInteger,
    JsonNumber,
    ManyToOneSchema,
    PageQuerySchema,
    page_fields,
    utc_datetime,
)

ORDER_STATE_NAMES = sorted(set(ORDER_STATES.values()))
MAX_LINES = 500


def _exactly_one(data: dict, names: tuple[str, str]) -> None:
    given = [name for name in names if data.get(name) is not None]
    if len(given) != 1:
        raise ValidationError(f"Give exactly one of {names[0]} or {names[1]}.", "_schema")


class PartnerRefSchema(Schema):
    """Who orders: an SMN partner id, or the partner's ref."""

    id = JsonInteger(validate=validate.Range(min=1), metadata={"example": 9})
    ref = fields.String(validate=validate.Length(1, 64), metadata={"example": "ACME-001"})

    @validates_schema
    def _one(self, data: dict, **kwargs) -> None:
        _exactly_one(data, ("id", "ref"))


class ProductRefSchema(Schema):
    """What is ordered: a product id, or its sku."""

    id = JsonInteger(validate=validate.Range(min=1), metadata={"example": 5})
    sku = fields.String(validate=validate.Length(1, 64), metadata={"example": "FURN_7777"})

    @validates_schema
    def _one(self, data: dict, **kwargs) -> None:
        _exactly_one(data, ("id", "sku"))


class OrderLineCreateSchema(Schema):
    product = fields.Nested(ProductRefSchema, required=True)
    quantity = JsonNumber(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1_000_000),
                          metadata={"description": "In the product's unit; greater than 0.", "example": 2})
    unit_price = JsonNumber(allow_none=True, validate=validate.Range(min=0, max=1_000_000_000), metadata={
        "description": "Price per unit before taxes; omit to use the price Odoo computes.", "example": 65.0})


class OrderCreateSchema(Schema):
    """A new sale order."""

    partner = fields.Nested(PartnerRefSchema, required=True)
    client_order_ref = fields.String(allow_none=True, validate=validate.Length(1, 128), metadata={
        "description": "Your order number; shown on Odoo's documents and filterable.", "example": "PO-2026-0042"})
    lines = fields.List(fields.Nested(OrderLineCreateSchema), required=True,
                        validate=validate.Length(1, MAX_LINES), metadata={"description": "At least one line."})
    confirm = JsonBoolean(load_default=False, metadata={
        "description": "Confirm the order right away (true) or leave it a quotation (false).", "example": True})


class OrderLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 1})
    product = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True, metadata={"example": "[FURN_7777] Office Chair"})
    quantity = fields.Float(required=True, allow_none=True, metadata={"example": 2.0})
    unit_price = fields.Float(required=True, allow_none=True, metadata={"example": 65.0})
    discount = fields.Float(required=True, allow_none=True, metadata={"description": "Percent.", "example": 0.0})
    subtotal = fields.Float(required=True, allow_none=True, metadata={
        "description": "Line amount without taxes.", "example": 130.0})
    total = fields.Float(required=True, allow_none=True, metadata={
        "description": "Line amount with taxes.", "example": 130.0})


class OrderSchema(Schema):
    """A sale order with its lines; amounts in `currency`."""

    id = fields.Integer(required=True, metadata={"example": 26})
    number = fields.String(required=True, allow_none=True, metadata={"example": "S00026"})
    state = fields.String(required=True, allow_none=True, validate=validate.OneOf(ORDER_STATE_NAMES), metadata={
        "description": "draft (quotation), sent (quotation sent), confirmed, locked or cancelled.",
        "example": "confirmed"})
    partner = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    client_order_ref = fields.String(required=True, allow_none=True, metadata={"example": "PO-2026-0042"})
    ordered_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "example": "2026-12-04T19:21:38Z"})
    currency = fields.String(required=True, allow_none=True, metadata={"example": "USD"})
    amount_untaxed = fields.Float(required=True, allow_none=True, metadata={"example": 130.0})
    amount_tax = fields.Float(required=True, allow_none=True, metadata={"example": 0.0})
    amount_total = fields.Float(required=True, allow_none=True, metadata={"example": 130.0})
    updated_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "example": "2026-12-04T19:21:40Z"})
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)


class OrderPageSchema(Schema):
    """A page of orders, newest (highest id) first."""

    class Meta:
        include = page_fields(OrderSchema)


class OrderQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(ORDER_STATE_NAMES), metadata={"example": "confirmed"})
    partner = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Partner id.", "example": 9})
    client_order_ref = fields.String(validate=validate.Length(1, 128), metadata={"example": "PO-2026-0042"})
    date_from = fields.Date(metadata={"description": "Ordered on or after this day (UTC).", "example": "2026-11-01"})
    date_to = fields.Date(metadata={"description": "Ordered on or before this day (UTC).", "example": "2026-11-30"})
    updated_since = utc_datetime("Only orders changed at or after this instant.")


class EmptyBodySchema(Schema):
    """No members: confirm and cancel take no options."""


class OrderBatchSchema(Schema):
    """Up to the configured number of orders (100 by default), each checked on its own."""

    orders = fields.List(fields.Nested(OrderCreateSchema), required=True, validate=validate.Length(min=1))


class OrderBatchEnvelopeSchema(Schema):
    """The batch body's shape; each order is validated separately with OrderCreateSchema."""

    orders = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


class BatchItemSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "Position in the request's `orders`.",
                                                    "example": 0})
    status = fields.Integer(required=True, metadata={
        "description": "201 created, 422 rejected, 403/404 refused by Odoo, 502/503 Odoo failed.", "example": 201})
    order = fields.Nested(OrderSchema, allow_none=True, metadata={"description": "The created order (status 201)."})
    problem = fields.Nested(ProblemSchema, allow_none=True, metadata={"description": "Why it failed (status >= 400)."})


class BatchResultSchema(Schema):
    """One result per submitted order, in the submitted order."""

    results = fields.List(fields.Nested(BatchItemSchema), required=True)
