"""Query parameters and envelopes every paginated list shares."""
from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from smn.pagination import DEFAULT_LIMIT, MAX_LIMIT


def utc_datetime(description: str, example: str = "2026-12-01T00:00:00Z") -> fields.AwareDateTime:
    """An ISO 8601 datetime; without an offset it is read as UTC."""
    return fields.AwareDateTime(default_timezone=timezone.utc, metadata={
        "description": description + " ISO 8601; UTC when no offset is given.", "example": example})


class PageQuerySchema(Schema):
    """limit and offset; unknown query parameters are rejected (marshmallow's RAISE)."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT), metadata={
        "description": f"Items per page, 1 to {MAX_LIMIT}.", "example": DEFAULT_LIMIT})
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000), metadata={
        "description": "How many matching items to skip.", "example": 0})


def page_fields(item_schema: type[Schema]) -> dict[str, fields.Field]:
    """The members of a page of `item_schema` items."""
    return {
        "items": fields.List(fields.Nested(item_schema), required=True, metadata={
            "description": "This page's items, in the order documented for the list."}),
        "total": fields.Integer(required=True, metadata={
            "description": "How many items match the filters, on all pages.", "example": 124}),
        "limit": fields.Integer(required=True, metadata={"description": "The page size used.", "example": 50}),
        "offset": fields.Integer(required=True, metadata={"description": "The offset used.", "example": 0}),
        "next": fields.String(required=True, allow_none=True, metadata={
            "description": "URL of the next page with the same filters, or null on the last page.",
            "example": "/v1/products?limit=50&offset=50"}),
    }


class ManyToOneSchema(Schema):
    """A linked record: its id and display name."""

    id = fields.Integer(required=True, metadata={"example": 7})
    name = fields.String(required=True, allow_none=True, metadata={"example": "Azure Interior"})


class JsonNumber(fields.Float):
    """A JSON number: strings and booleans are rejected, not coerced."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonInteger(fields.Integer):
    """A JSON integer: strings, booleans and fractions are rejected, not coerced."""

    def __init__(self, **kwargs) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A JSON true or false: "yes", 1 and "true" are rejected, not coerced."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value
