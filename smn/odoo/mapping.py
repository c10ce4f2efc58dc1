"""Odoo records <-> the partner-facing JSON shapes.

Partners see snake_case names that never change with the Odoo version:
many2one pairs ``[7, "Azure"]`` become ``{"id": 7, "name": "Azure"}``, Odoo's
``False`` for an empty value becomes ``null``, datetimes (stored by Odoo in
UTC as ``YYYY-MM-DD HH:MM:SS``) become ISO 8601 with ``Z``, and amounts are
plain numbers beside a ``currency`` code. Each resource is a `RecordMap`: a
list of (partner name, Odoo field, converter); fields the connected Odoo lacks
are simply not asked for and come out as ``null``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable

from smn.odoo.catalog import FieldCatalog

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
ODOO_DATE = "%Y-%m-%d"


def many2one(value: Any) -> dict[str, Any] | None:
    """``[7, "Azure"]`` -> ``{"id": 7, "name": "Azure"}``; ``False`` -> None."""
    if isinstance(value, (list, tuple)) and value:
        return {"id": value[0], "name": value[1] if len(value) > 1 else None}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"id": value, "name": None}
    return None


def related_id(value: Any) -> int | None:
    """The id of a many2one value, or None."""
    pair = many2one(value)
    return pair["id"] if pair else None


def text(value: Any) -> str | None:
    """Odoo sends ``False`` for an empty char/text field."""
    if value is False or value is None or value == "":
        return None
    return str(value)


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    return float(value)


def boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def currency_code(value: Any) -> str | None:
    """res.currency's display name is its ISO code (``[1, "USD"]`` -> ``"USD"``)."""
    pair = many2one(value)
    return pair["name"] if pair else None


def odoo_datetime(value: Any) -> str | None:
    """``"2026-12-04 19:21:22"`` (UTC) -> ``"2026-12-04T19:21:22Z"``."""
    if not value:
        return None
    parsed = datetime.strptime(str(value)[:19], ODOO_DATETIME)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def odoo_date(value: Any) -> str | None:
    if not value:
        return None
    return datetime.strptime(str(value)[:10], ODOO_DATE).date().isoformat()


def to_odoo_datetime(value: datetime | date) -> str:
    """A partner's datetime (any offset; naive means UTC) or date as Odoo's UTC string."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime(ODOO_DATETIME)


def to_odoo_date(value: date) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime(ODOO_DATE)


def lookup(table: dict[str, str], default: str | None = None) -> Callable[[Any], str | None]:
    """A converter through a fixed table of Odoo selection keys -> partner names."""
    def convert(value: Any) -> str | None:
        if value is False or value is None:
            return None
        return table.get(str(value), default if default is not None else str(value))
    return convert


def reverse(table: dict[str, str]) -> dict[str, list[str]]:
    """Partner name -> the Odoo keys that map to it."""
    result: dict[str, list[str]] = {}
    for key, name in table.items():
        result.setdefault(name, []).append(key)
    return result


@dataclass(frozen=True)
class Field:
    api: str
    odoo: str
    convert: Callable[[Any], Any]


class RecordMap:
    """Maps one Odoo model's records to one partner-facing shape."""

    def __init__(self, model: str, fields: Iterable[Field], extra_odoo_fields: Iterable[str] = ()) -> None:
        self.model = model
        self.fields = tuple(fields)
        self.extra_odoo_fields = tuple(extra_odoo_fields)

    @property
    def api_names(self) -> list[str]:
        return [field.api for field in self.fields]

    def odoo_fields(self, catalog: FieldCatalog) -> list[str]:
        """The Odoo fields to read, limited to those the connected Odoo has."""
        wanted = [field.odoo for field in self.fields] + list(self.extra_odoo_fields)
        return catalog.existing(self.model, dict.fromkeys(wanted))

    def to_api(self, record: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"id": record["id"]}
        for field in self.fields:
            result[field.api] = field.convert(record[field.odoo]) if field.odoo in record else None
        return result


# ---------------------------------------------------------------- res.partner

PARTNER = RecordMap("res.partner", [
    Field("name", "name", text),
    Field("ref", "ref", text),
    Field("is_company", "is_company", boolean),
    Field("company", "parent_id", many2one),
    Field("email", "email", text),
    Field("phone", "phone", text),
    Field("vat", "vat", text),
    Field("street", "street", text),
    Field("street2", "street2", text),
    Field("city", "city", text),
    Field("zip", "zip", text),
    Field("country", "country_id", many2one),
    Field("country_code", "country_code", text),
    Field("active", "active", boolean),
    Field("updated_at", "write_date", odoo_datetime),
])

PARTNER_INPUT = {
    "name": "name", "ref": "ref", "is_company": "is_company", "company_id": "parent_id",
    "email": "email", "phone": "phone", "vat": "vat", "street": "street", "street2": "street2",
    "city": "city", "zip": "zip",
}
"""Partner-facing input name -> Odoo field (country_code is resolved separately)."""


def partner_values(data: dict[str, Any]) -> dict[str, Any]:
    """A validated partner body as Odoo ``create``/``write`` values (None -> False)."""
    return {PARTNER_INPUT[key]: (False if value is None else value)
            for key, value in data.items() if key in PARTNER_INPUT}


# ---------------------------------------------------------------- product.product

PRODUCT_TYPES_18 = {"consu": "goods", "service": "service", "combo": "combo"}
"""Odoo 18/19 ``type``; whether goods are stocked is the separate ``is_storable``."""
PRODUCT_TYPES_17 = {"product": "goods", "consu": "goods", "service": "service", "combo": "combo"}
"""Odoo 17 ``detailed_type``: 'product' is a storable good, 'consu' a consumable one."""


def product_kind(record: dict[str, Any]) -> tuple[str | None, bool | None]:
    """(type, is_storable) from whichever fields this Odoo version has."""
    if "is_storable" in record:
        kind = record.get("type")
        return (PRODUCT_TYPES_18.get(kind, "other") if kind else None), bool(record["is_storable"])
    kind = record.get("detailed_type") or record.get("type")
    if not kind:
        return None, None
    return PRODUCT_TYPES_17.get(kind, "other"), kind == "product"


PRODUCT = RecordMap("product.product", [
    Field("name", "name", text),
    Field("sku", "default_code", text),
    Field("barcode", "barcode", text),
    Field("category", "categ_id", many2one),
    Field("unit", "uom_id", many2one),
    Field("price", "list_price", number),
    Field("currency", "currency_id", currency_code),
    Field("can_be_sold", "sale_ok", boolean),
    Field("active", "active", boolean),
    Field("updated_at", "write_date", odoo_datetime),
], extra_odoo_fields=("type", "is_storable", "detailed_type"))


def product_to_api(record: dict[str, Any]) -> dict[str, Any]:
    mapped = PRODUCT.to_api(record)
    kind, storable = product_kind(record)
    result: dict[str, Any] = {}
    for key, value in mapped.items():
        result[key] = value
        if key == "barcode":
            result["type"], result["is_storable"] = kind, storable
    return result


def product_odoo_fields(catalog: FieldCatalog) -> list[str]:
    """Odoo 17 has both ``type`` and ``detailed_type``; later versions have ``is_storable``."""
    fields = PRODUCT.odoo_fields(catalog)
    if "is_storable" in fields and "detailed_type" in fields:
        fields.remove("detailed_type")
    return fields


STOCK_PRODUCT_FIELDS = ("qty_available", "virtual_available", "free_qty", "uom_id", "name")
QUANT_FIELDS = ("location_id", "quantity", "reserved_quantity")


def stock_to_api(product: dict[str, Any], quants: list[dict[str, Any]] | None) -> dict[str, Any]:
    on_hand = number(product.get("qty_available")) or 0.0
    free = product.get("free_qty")
    return {
        "product": {"id": product["id"], "name": text(product.get("name"))},
        "unit": many2one(product.get("uom_id")),
        "on_hand": on_hand,
        "forecast": number(product.get("virtual_available")) or 0.0,
        "available": number(free) if free is not None else None,
        "locations": None if quants is None else quants_by_location(quants),
    }


def quants_by_location(quants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum quants (one per lot/package/owner in Odoo) per location."""
    locations: dict[int, dict[str, Any]] = {}
    for quant in quants:
        location = many2one(quant.get("location_id"))
        if location is None:
            continue
        entry = locations.setdefault(location["id"], {"location": location, "on_hand": 0.0, "reserved": 0.0})
        entry["on_hand"] += number(quant.get("quantity")) or 0.0
        entry["reserved"] += number(quant.get("reserved_quantity")) or 0.0
    for entry in locations.values():
        entry["available"] = entry["on_hand"] - entry["reserved"]
    return sorted(locations.values(), key=lambda entry: entry["location"]["id"])


# ---------------------------------------------------------------- sale.order

ORDER_STATES = {"draft": "draft", "sent": "sent", "sale": "confirmed", "done": "locked", "cancel": "cancelled"}
"""Odoo sale.order states; 'done' only exists before Odoo 17 (later: the ``locked`` flag)."""

ORDER = RecordMap("sale.order", [
    Field("number", "name", text),
    Field("state", "state", lookup(ORDER_STATES)),
    Field("partner", "partner_id", many2one),
    Field("client_order_ref", "client_order_ref", text),
    Field("ordered_at", "date_order", odoo_datetime),
    Field("currency", "currency_id", currency_code),
    Field("amount_untaxed", "amount_untaxed", number),
    Field("amount_tax", "amount_tax", number),
    Field("amount_total", "amount_total", number),
    Field("updated_at", "write_date", odoo_datetime),
], extra_odoo_fields=("locked",))


def order_to_api(record: dict[str, Any]) -> dict[str, Any]:
    """Odoo 17+ locks a confirmed order with the ``locked`` flag; older versions used state 'done'."""
    order = ORDER.to_api(record)
    if order["state"] == "confirmed" and record.get("locked") is True:
        order["state"] = "locked"
    return order


ORDER_LINE = RecordMap("sale.order.line", [
    Field("product", "product_id", many2one),
    Field("description", "name", text),
    Field("quantity", "product_uom_qty", number),
    Field("unit_price", "price_unit", number),
    Field("discount", "discount", number),
    Field("subtotal", "price_subtotal", number),
    Field("total", "price_total", number),
], extra_odoo_fields=("order_id", "display_type"))


# ---------------------------------------------------------------- account.move

INVOICE_TYPES = {"out_invoice": "invoice", "out_refund": "credit_note"}
INVOICE_STATES = {"draft": "draft", "posted": "posted", "cancel": "cancelled"}
PAYMENT_STATES = ("not_paid", "in_payment", "paid", "partial", "reversed", "blocked", "invoicing_legacy")

INVOICE = RecordMap("account.move", [
    Field("number", "name", lambda value: None if value in (False, "/") else text(value)),
    Field("type", "move_type", lookup(INVOICE_TYPES)),
    Field("state", "state", lookup(INVOICE_STATES)),
    Field("payment_state", "payment_state", text),
    Field("partner", "partner_id", many2one),
    Field("invoice_date", "invoice_date", odoo_date),
    Field("due_date", "invoice_date_due", odoo_date),
    Field("origin", "invoice_origin", text),
    Field("reference", "ref", text),
    Field("currency", "currency_id", currency_code),
    Field("amount_untaxed", "amount_untaxed", number),
    Field("amount_tax", "amount_tax", number),
    Field("amount_total", "amount_total", number),
    Field("amount_due", "amount_residual", number),
    Field("updated_at", "write_date", odoo_datetime),
])

INVOICE_LINE = RecordMap("account.move.line", [
    Field("product", "product_id", many2one),
    Field("description", "name", text),
    Field("quantity", "quantity", number),
    Field("unit_price", "price_unit", number),
    Field("discount", "discount", number),
    Field("subtotal", "price_subtotal", number),
    Field("total", "price_total", number),
], extra_odoo_fields=("move_id",))


def group_lines(lines: list[dict[str, Any]], parent_field: str, line_map: RecordMap) -> dict[int, list[dict]]:
    """Lines read in one call for many parents, mapped and grouped by parent id."""
    grouped: dict[int, list[dict]] = {}
    for line in sorted(lines, key=lambda item: (item.get("sequence", 0) or 0, item["id"])):
        parent = related_id(line.get(parent_field))
        if parent is not None:
            grouped.setdefault(parent, []).append(line_map.to_api(line))
    return grouped
