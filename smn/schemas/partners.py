"""Partners: what partners send and receive for res.partner records."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from smn.schemas.pagination import JsonBoolean, JsonInteger, ManyToOneSchema, PageQuerySchema, page_fields, utc_datetime

_text = {"allow_none": True}


class PartnerSchema(Schema):
    """A customer, supplier or contact."""

    id = fields.Integer(required=True, metadata={"example": 9})
    name = fields.String(required=True, allow_none=True, metadata={"example": "Acme Corporation"})
    ref = fields.String(required=True, **_text, metadata={
        "description": "Your reference for this partner (Odoo's internal reference).", "example": "ACME-001"})
    is_company = fields.Boolean(required=True, allow_none=True, metadata={"example": True})
    company = fields.Nested(ManyToOneSchema, required=True, allow_none=True, metadata={
        "description": "The company a contact person works for."})
    email = fields.String(required=True, **_text, metadata={"example": "orders@acme.example"})
    phone = fields.String(required=True, **_text, metadata={"example": "+1 555-0100"})
    vat = fields.String(required=True, **_text, metadata={"example": "US123456789"})
    street = fields.String(required=True, **_text, metadata={"example": "1 Main Street"})
    street2 = fields.String(required=True, **_text, metadata={"example": None})
    city = fields.String(required=True, **_text, metadata={"example": "Springfield"})
    zip = fields.String(required=True, **_text, metadata={"example": "12345"})
    country = fields.Nested(ManyToOneSchema, required=True, allow_none=True)
    country_code = fields.String(required=True, **_text, metadata={"example": "US"})
    active = fields.Boolean(required=True, allow_none=True, metadata={"example": True})
    updated_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "Last change, UTC.", "example": "2026-12-04T19:21:22Z"})


class PartnerPageSchema(Schema):
    """A page of partners, ordered by id."""

    class Meta:
        include = page_fields(PartnerSchema)


class PartnerQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(1, 200), metadata={
        "description": "Matches name, email or ref (case-insensitive, substring).", "example": "acme"})
    is_company = fields.Boolean(metadata={"description": "Only companies (true) or only persons (false)."})
    updated_since = utc_datetime("Only partners changed at or after this instant.")


class PartnerCreateSchema(Schema):
    """A new partner; only `name` is required."""

    name = fields.String(required=True, validate=validate.Length(1, 256), metadata={"example": "Acme Corporation"})
    ref = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={"example": "ACME-001"})
    is_company = JsonBoolean(metadata={"example": True})
    company_id = JsonInteger(allow_none=True, validate=validate.Range(min=1), metadata={
        "description": "Id of the company partner this contact belongs to.", "example": None})
    email = fields.Email(allow_none=True, metadata={"example": "orders@acme.example"})
    phone = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={"example": "+1 555-0100"})
    vat = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={"example": "US123456789"})
    street = fields.String(allow_none=True, validate=validate.Length(max=256), metadata={"example": "1 Main Street"})
    street2 = fields.String(allow_none=True, validate=validate.Length(max=256), metadata={"example": "Building B"})
    city = fields.String(allow_none=True, validate=validate.Length(max=128), metadata={"example": "Springfield"})
    zip = fields.String(allow_none=True, validate=validate.Length(max=24), metadata={"example": "12345"})
    country_code = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z]{2}$", error=(
        "Must be a two-letter ISO 3166 country code.")), metadata={"example": "US"})


class PartnerUpdateSchema(PartnerCreateSchema):
    """Changes to a partner: send only the fields to change; null clears a field."""

    name = fields.String(validate=validate.Length(1, 256), metadata={"example": "Acme Corporation Ltd"})
