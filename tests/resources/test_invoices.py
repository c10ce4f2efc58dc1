"""/v1/invoices against the Odoo stand-in over HTTP."""
from __future__ import annotations

import pytest

CUSTOMER_DOCUMENTS = 56
CREDIT_NOTES = 8


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    return response.json


def _fields(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def test_list_with_lines(api, assert_schema, odoo_calls) -> None:
    with odoo_calls() as calls:
        body = api.get("/v1/invoices", params={"limit": 20}).json
    assert_schema("InvoicePage", body)
    assert body["total"] == CUSTOMER_DOCUMENTS and len(body["items"]) == 20
    assert all(invoice["lines"] for invoice in body["items"])
    assert calls.methods() == ["search_read", "search_count", "search_read"]
    assert calls.pairs[-1][0] == "account.move.line"


def test_invoice_shape(api, assert_schema) -> None:
    invoice = api.get("/v1/invoices/1").json
    assert_schema("Invoice", invoice)
    assert invoice["number"] == "INV/2026/00001" or invoice["number"].startswith("INV/")
    assert invoice["type"] == "invoice" and invoice["state"] == "posted"
    assert invoice["partner"] == {"id": 15, "name": "Azure Interior"} and invoice["currency"] == "USD"
    assert len(invoice["invoice_date"]) == 10 and len(invoice["due_date"]) == 10
    assert [(line["product"]["id"], line["quantity"]) for line in invoice["lines"]] == [(15, 40.0), (24, 70.0)]
    assert invoice["amount_untaxed"] == pytest.approx(40 * 750.0 + 70 * 25.0)


def test_filters(api) -> None:
    refunds = api.get("/v1/invoices", params={"type": "credit_note"}).json
    assert refunds["total"] == CREDIT_NOTES and {i["type"] for i in refunds["items"]} == {"credit_note"}
    drafts = api.get("/v1/invoices", params={"state": "draft", "limit": 200}).json["items"]
    assert drafts and all(i["state"] == "draft" and i["number"] is None for i in drafts)
    paid = api.get("/v1/invoices", params={"payment_state": "paid", "limit": 200}).json["items"]
    assert paid and all(i["payment_state"] == "paid" and i["amount_due"] == 0 for i in paid)
    acme = api.get("/v1/invoices", params={"partner": 9, "limit": 200}).json["items"]
    assert acme and {i["partner"]["id"] for i in acme} == {9}
    one = api.get("/v1/invoices/1").json["invoice_date"]
    same_day = api.get("/v1/invoices", params={"date_from": one, "date_to": one, "limit": 200}).json["items"]
    assert 1 in [i["id"] for i in same_day] and all(i["invoice_date"] == one for i in same_day)


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "open"}, "state"), ({"payment_state": "unpaid"}, "payment_state"),
    ({"type": "in_invoice"}, "type"), ({"date_to": "2026-13-01"}, "date_to"), ({"move_type": "entry"}, "move_type"),
])
def test_bad_filters_are_422(api, odoo_calls, params: dict, field: str) -> None:
    with odoo_calls() as calls:
        assert field in _fields(_problem(api.get("/v1/invoices", params=params), 422))
    assert len(calls) == 0


def test_item_etag_and_404(api) -> None:
    response = api.get("/v1/invoices/2")
    assert response.status_code == 200
    assert api.get("/v1/invoices/2", headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    _problem(api.get("/v1/invoices/99999999"), 404)


def test_vendor_bills_are_not_partner_documents(api, services) -> None:
    bill = services.odoo.create("account.move", {"move_type": "in_invoice", "partner_id": 9})
    _problem(api.get(f"/v1/invoices/{bill}"), 404)
    assert bill not in [i["id"] for i in api.get("/v1/invoices", params={"limit": 200}).json["items"]]


@pytest.mark.parametrize(("name", "status"), [
    ("odoo.exceptions.AccessError", 403),
    ("odoo.exceptions.MissingError", 404),
    ("odoo.exceptions.UserError", 422),
    ("builtins.TypeError", 502),
])
@pytest.mark.parametrize(("model", "path"), [
    ("account.move", "/v1/invoices"),
    ("account.move", "/v1/invoices/1"),
    ("account.move.line", "/v1/invoices/1"),
], ids=["list", "item", "lines"])
def test_odoo_faults_map_to_statuses(api, sandbox, name: str, status: int, model: str, path: str) -> None:
    sandbox.raise_error(name, "Odoo refused this", model=model, method="search_read")
    _problem(api.get(path), status)


def test_odoo_down_is_503(api, sandbox) -> None:
    api.get("/v1/invoices/1")
    sandbox.go_down()
    response = api.get("/v1/invoices")
    _problem(response, 503)
    assert response.headers["retry-after"]


def test_scope_invoices_read_is_needed(api) -> None:
    assert api.as_scopes("orders:read").get("/v1/invoices").status_code == 403
    assert api.as_scopes("invoices:read").get("/v1/invoices/1").status_code == 200
