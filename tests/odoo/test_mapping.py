"""Odoo records -> partner-facing shapes, for the field sets of Odoo 17, 18 and 19.

The Odoo 19 records are verbatim samples of a real Odoo 19 (shared/odoo19);
the Odoo 17 ones use its field names (product.template.detailed_type with
'product' for storable goods, no is_storable).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from smn.odoo import mapping
from smn.odoo.catalog import FieldCatalog

ODOO19_PRODUCT = {
    "id": 3, "name": "Virtual Interior Design", "default_code": False, "barcode": False, "list_price": 30.75,
    "uom_id": [4, "Hours"], "categ_id": [3, "Services"], "type": "service", "is_storable": False,
    "sale_ok": True, "active": True, "write_date": "2026-12-04 19:21:36",
}
ODOO19_PARTNER = {
    "id": 1, "name": "My Company (San Francisco)", "email": "info@yourcompany.com", "phone": "+1 555-555-5556",
    "vat": False, "street": "8000 Marina Blvd, Suite 300", "city": "Brisbane", "zip": "94005",
    "country_id": [233, "United States"], "is_company": True, "parent_id": False,
    "write_date": "2026-12-04 19:21:22", "active": True,
}
ODOO19_ORDER = {
    "id": 1, "name": "S00001", "partner_id": [9, "Acme Corporation"], "date_order": "2026-11-04 19:21:00",
    "state": "draft", "amount_untaxed": 1740.0, "amount_tax": 0.0, "amount_total": 1740.0,
    "currency_id": [1, "USD"], "client_order_ref": False, "write_date": "2026-12-04 19:21:40",
}
ODOO19_INVOICE = {
    "id": 1, "name": "INV/2026/00001", "partner_id": [15, "Azure Interior"], "move_type": "out_invoice",
    "state": "posted", "invoice_date": "2026-12-01", "invoice_date_due": "2027-01-31", "amount_total": 31750.0,
    "amount_residual": 31750.0, "payment_state": "not_paid", "currency_id": [1, "USD"], "invoice_origin": False,
}
ODOO19_PRODUCT_FIELDS = {name: {"type": "char"} for name in (
    "name", "default_code", "barcode", "list_price", "currency_id", "uom_id", "categ_id", "type", "is_storable",
    "sale_ok", "active", "write_date")}
ODOO17_PRODUCT_FIELDS = {**{k: v for k, v in ODOO19_PRODUCT_FIELDS.items() if k != "is_storable"},
                         "detailed_type": {"type": "selection"}}


def test_many2one_false_and_pairs() -> None:
    assert mapping.many2one([7, "Azure"]) == {"id": 7, "name": "Azure"}
    assert mapping.many2one(False) is None
    assert mapping.many2one(7) == {"id": 7, "name": None}
    assert mapping.related_id([9, "Acme"]) == 9


def test_false_becomes_null_but_real_values_stay() -> None:
    assert mapping.text(False) is None and mapping.text("") is None and mapping.text("x") == "x"
    assert mapping.number(False) is None and mapping.number(0) == 0.0 and mapping.number(2) == 2.0
    assert mapping.boolean(False) is False and mapping.boolean(None) is None


def test_datetimes_are_iso_utc_and_dates_iso() -> None:
    assert mapping.odoo_datetime("2026-12-04 19:21:22") == "2026-12-04T19:21:22Z"
    assert mapping.odoo_datetime(False) is None
    assert mapping.odoo_date("2026-12-01") == "2026-12-01"
    assert mapping.odoo_date(False) is None


def test_partner_datetimes_become_odoo_utc_strings() -> None:
    paris = timezone(timedelta(hours=1))
    assert mapping.to_odoo_datetime(datetime(2026, 12, 4, 20, 0, tzinfo=paris)) == "2026-12-04 19:00:00"
    assert mapping.to_odoo_datetime(datetime(2026, 12, 4, 20, 0)) == "2026-12-04 20:00:00"
    assert mapping.to_odoo_datetime(date(2026, 12, 4)) == "2026-12-04 00:00:00"
    assert mapping.to_odoo_date(date(2026, 12, 4)) == "2026-12-04"


def test_partner_from_odoo19_sample() -> None:
    partner = mapping.PARTNER.to_api(ODOO19_PARTNER)
    assert partner["country"] == {"id": 233, "name": "United States"}
    assert partner["vat"] is None and partner["company"] is None
    assert partner["updated_at"] == "2026-12-04T19:21:22Z"
    assert partner["ref"] is None, "fields not read come out as null"
    assert set(partner) == {"id", *mapping.PARTNER.api_names}


@pytest.mark.parametrize(("record", "expected"), [
    ({"type": "consu", "is_storable": True}, ("goods", True)),
    ({"type": "consu", "is_storable": False}, ("goods", False)),
    ({"type": "service", "is_storable": False}, ("service", False)),
    ({"type": "combo", "is_storable": False}, ("combo", False)),
    ({"type": "product", "detailed_type": "product"}, ("goods", True)),
    ({"type": "consu", "detailed_type": "consu"}, ("goods", False)),
    ({"type": "service", "detailed_type": "service"}, ("service", False)),
    ({"type": "service", "detailed_type": "event"}, ("other", False)),
], ids=["19-storable", "19-consumable", "19-service", "19-combo", "17-storable", "17-consumable",
        "17-service", "17-event"])
def test_product_type_is_the_same_for_every_odoo_version(record: dict, expected: tuple) -> None:
    assert mapping.product_kind(record) == expected


def test_product_from_odoo19_sample() -> None:
    product = mapping.product_to_api(ODOO19_PRODUCT)
    assert product["type"] == "service" and product["is_storable"] is False
    assert product["sku"] is None and product["barcode"] is None
    assert product["unit"] == {"id": 4, "name": "Hours"} and product["price"] == 30.75


def test_product_fields_follow_the_connected_version() -> None:
    odoo19 = FieldCatalog(None, {"product.product": ODOO19_PRODUCT_FIELDS})
    odoo17 = FieldCatalog(None, {"product.product": ODOO17_PRODUCT_FIELDS})
    assert "is_storable" in mapping.product_odoo_fields(odoo19)
    assert "detailed_type" not in mapping.product_odoo_fields(odoo19)
    fields17 = mapping.product_odoo_fields(odoo17)
    assert "detailed_type" in fields17 and "is_storable" not in fields17


def test_order_from_odoo19_sample_uses_partner_names() -> None:
    order = mapping.ORDER.to_api(ODOO19_ORDER)
    assert order["number"] == "S00001" and order["state"] == "draft"
    assert order["currency"] == "USD" and order["amount_total"] == 1740.0
    assert order["ordered_at"] == "2026-11-04T19:21:00Z" and order["client_order_ref"] is None
    assert mapping.ORDER.to_api({**ODOO19_ORDER, "state": "sale"})["state"] == "confirmed"
    assert mapping.ORDER.to_api({**ODOO19_ORDER, "state": "cancel"})["state"] == "cancelled"
    assert mapping.order_to_api({**ODOO19_ORDER, "state": "sale", "locked": True})["state"] == "locked"
    assert mapping.order_to_api({**ODOO19_ORDER, "state": "done"})["state"] == "locked"


def test_invoice_from_odoo19_sample() -> None:
    invoice = mapping.INVOICE.to_api(ODOO19_INVOICE)
    assert invoice["type"] == "invoice" and invoice["state"] == "posted"
    assert invoice["invoice_date"] == "2026-12-01" and invoice["due_date"] == "2027-01-31"
    assert invoice["amount_due"] == 31750.0 and invoice["origin"] is None
    assert mapping.INVOICE.to_api({**ODOO19_INVOICE, "move_type": "out_refund"})["type"] == "credit_note"
    assert mapping.INVOICE.to_api({**ODOO19_INVOICE, "name": "/"})["number"] is None


def test_lines_are_grouped_per_parent_in_sequence() -> None:
    lines = [
        {"id": 3, "order_id": [1, "S1"], "sequence": 20, "product_id": [5, "Chair"], "product_uom_qty": 2.0},
        {"id": 2, "order_id": [1, "S1"], "sequence": 10, "product_id": [6, "Lamp"], "product_uom_qty": 1.0},
        {"id": 4, "order_id": [2, "S2"], "sequence": 10, "product_id": False, "product_uom_qty": 1.0},
    ]
    grouped = mapping.group_lines(lines, "order_id", mapping.ORDER_LINE)
    assert [line["id"] for line in grouped[1]] == [2, 3]
    assert grouped[2][0]["product"] is None and grouped[2][0]["quantity"] == 1.0


def test_stock_sums_quants_per_location() -> None:
    product = {"id": 20, "name": "Large Cabinet", "qty_available": 510.0, "virtual_available": 500.0,
               "free_qty": 360.0, "uom_id": [1, "Units"]}
    quants = [
        {"location_id": [5, "WH/Stock"], "quantity": 500.0, "reserved_quantity": 150.0},
        {"location_id": [10, "WH2/Stock"], "quantity": 4.0, "reserved_quantity": 0.0},
        {"location_id": [10, "WH2/Stock"], "quantity": 6.0, "reserved_quantity": 0.0},
    ]
    stock = mapping.stock_to_api(product, quants)
    assert stock["on_hand"] == 510.0 and stock["forecast"] == 500.0 and stock["available"] == 360.0
    assert stock["locations"] == [
        {"location": {"id": 5, "name": "WH/Stock"}, "on_hand": 500.0, "reserved": 150.0, "available": 350.0},
        {"location": {"id": 10, "name": "WH2/Stock"}, "on_hand": 10.0, "reserved": 0.0, "available": 10.0},
    ]
    assert mapping.stock_to_api(product, None)["locations"] is None


def test_partner_values_clear_with_false() -> None:
    assert mapping.partner_values({"name": "X", "email": None, "company_id": 9}) == {
        "name": "X", "email": False, "parent_id": 9}
