"""Customer invoices and credit notes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from smn.odoo.mapping import INVOICE_STATES, INVOICE_TYPES, PAYMENT_STATES
from smn.schemas.pagination import ManyToOneSchema, PageQuerySchema, page_fields, utc_datetime

INVOICE_TYPE_NAMES = sorted(INVOICE_TYPES.values())
INVOICE_STATE_NAMES = sorted(INVOICE_STATES.values())


class InvoiceLineSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 101})
    product = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True, metadata={"example": "[FURN_7777] Office Chair"})
    quantity = fields.Float(required=True, allow_none=True, metadata={"example": 2.0})
    unit_price = fields.Float(required=True, allow_none=True, metadata={"example": 65.0})
    discount = fields.Float(required=True, allow_none=True, metadata={"description": "Percent.", "example": 0.0})
    subtotal = fields.Float(required=True, allow_none=True, metadata={"example": 130.0})
    total = fields.Float(required=True, allow_none=True, metadata={"example": 149.5})


class InvoiceSchema(Schema):
    """A customer invoice or credit note; amounts in `currency`."""

    id = fields.Integer(required=True, metadata={"example": 1})
    number = fields.String(required=True, allow_none=True, metadata={
        "description": "Null while the invoice is a draft without a number.", "example": "INV/2026/00001"})
    type = fields.String(required=True, allow_none=True, validate=validate.OneOf(INVOICE_TYPE_NAMES), metadata={
        "example": "invoice"})
    state = fields.String(required=True, allow_none=True, validate=validate.OneOf(INVOICE_STATE_NAMES), metadata={
        "example": "posted"})
    payment_state = fields.String(required=True, allow_none=True, metadata={
        "description": "One of " + ", ".join(PAYMENT_STATES) + ".", "example": "not_paid"})
    partner = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    invoice_date = fields.String(required=True, allow_none=True, metadata={"format": "date",
                                                                           "example": "2026-12-01"})
    due_date = fields.String(required=True, allow_none=True, metadata={"format": "date", "example": "2027-01-31"})
    origin = fields.String(required=True, allow_none=True, metadata={
        "description": "Source documents, e.g. the order number.", "example": "S00026"})
    reference = fields.String(required=True, allow_none=True, metadata={"example": None})
    currency = fields.String(required=True, allow_none=True, metadata={"example": "USD"})
    amount_untaxed = fields.Float(required=True, allow_none=True, metadata={"example": 130.0})
    amount_tax = fields.Float(required=True, allow_none=True, metadata={"example": 19.5})
    amount_total = fields.Float(required=True, allow_none=True, metadata={"example": 149.5})
    amount_due = fields.Float(required=True, allow_none=True, metadata={"description": "Still to be paid.",
                                                                        "example": 149.5})
    updated_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "example": "2026-12-04T19:21:40Z"})
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)


class InvoicePageSchema(Schema):
    """A page of invoices, newest (highest id) first."""

    class Meta:
        include = page_fields(InvoiceSchema)


class InvoiceQuerySchema(PageQuerySchema):
    partner = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Partner id.", "example": 9})
    type = fields.String(validate=validate.OneOf(INVOICE_TYPE_NAMES), metadata={"example": "invoice"})
    state = fields.String(validate=validate.OneOf(INVOICE_STATE_NAMES), metadata={"example": "posted"})
    payment_state = fields.String(validate=validate.OneOf(PAYMENT_STATES), metadata={"example": "not_paid"})
    date_from = fields.Date(metadata={"description": "Invoice date on or after.", "example": "2026-12-01"})
    date_to = fields.Date(metadata={"description": "Invoice date on or before.", "example": "2026-12-31"})
    updated_since = utc_datetime("Only invoices changed at or after this instant.")
