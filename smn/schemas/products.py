"""Products and their stock."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from smn.schemas.pagination import ManyToOneSchema, PageQuerySchema, page_fields, utc_datetime


class ProductSchema(Schema):
    """A product variant you can order (Odoo's product.product)."""

    id = fields.Integer(required=True, metadata={"example": 5})
    name = fields.String(required=True, allow_none=True, metadata={"example": "Office Chair"})
    sku = fields.String(required=True, allow_none=True, metadata={
        "description": "Stock keeping unit (Odoo's internal reference).", "example": "FURN_7777"})
    barcode = fields.String(required=True, allow_none=True, metadata={"example": "5901234123457"})
    type = fields.String(required=True, allow_none=True, validate=validate.OneOf(
        ["goods", "service", "combo", "other"]), metadata={
        "description": "goods (physical), service, combo (a bundle of choices) or other.", "example": "goods"})
    is_storable = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "Stock is tracked for this product (on hand / forecast are meaningful).", "example": True})
    category = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    unit = fields.Nested(ManyToOneSchema, required=True, allow_none=True, metadata={
        "description": "Unit of measure quantities are counted in."})
    price = fields.Float(required=True, allow_none=True, metadata={
        "description": "List price per unit, before taxes and discounts.", "example": 65.0})
    currency = fields.String(required=True, allow_none=True, metadata={
        "description": "ISO 4217 code of `price`.", "example": "USD"})
    can_be_sold = fields.Boolean(required=True, allow_none=True, metadata={"example": True})
    active = fields.Boolean(required=True, allow_none=True, metadata={"example": True})
    updated_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "example": "2026-12-04T19:21:36Z"})


class ProductPageSchema(Schema):
    """A page of products, ordered by id."""

    class Meta:
        include = page_fields(ProductSchema)


class ProductQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "Matches name, sku or barcode (case-insensitive, substring).", "example": "chair"})
    sku = fields.String(validate=validate.Length(1, 64), metadata={"description": "Exact sku.", "example": "FURN_7777"})
    barcode = fields.String(validate=validate.Length(1, 64), metadata={"description": "Exact barcode."})
    category = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "Category id; includes its subcategories.", "example": 1})
    updated_since = utc_datetime("Only products changed at or after this instant.")
    active = fields.Boolean(metadata={
        "description": "true: only active products (the default when omitted), false: only archived ones."})


class StockQuerySchema(Schema):
    by_location = fields.Boolean(load_default=False, metadata={
        "description": "Also list stock per internal location.", "example": True})


class LocationStockSchema(Schema):
    location = fields.Nested(ManyToOneSchema, required=True)
    on_hand = fields.Float(required=True, metadata={"example": 16.0})
    reserved = fields.Float(required=True, metadata={"description": "Promised to confirmed orders.", "example": 2.0})
    available = fields.Float(required=True, metadata={"example": 14.0})


class StockSchema(Schema):
    """Stock of one product, in its unit of measure."""

    product = fields.Nested(ManyToOneSchema, required=True)
    unit = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    on_hand = fields.Float(required=True, metadata={"description": "Quantity in stock now.", "example": 16.0})
    forecast = fields.Float(required=True, metadata={
        "description": "On hand plus incoming minus outgoing moves.", "example": 12.0})
    available = fields.Float(required=True, allow_none=True, metadata={
        "description": "On hand minus reserved (null when Odoo does not report it).", "example": 14.0})
    locations = fields.List(fields.Nested(LocationStockSchema), required=True, allow_none=True, metadata={
        "description": "Per internal location, when asked with by_location=true; otherwise null."})
