"""The Odoo stand-in over real HTTP: every captured Odoo 19 exchange, its ORM, its faults."""
from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from smn.odoo.sandbox import ADMIN_API_KEY, DATABASE, DEMO_API_KEY, SandboxOdoo

ROOT = Path(__file__).resolve().parents[2]
SAMPLES_FILE = ROOT / "tests" / "data" / "odoo19" / "odoo19-wire-samples.json"
SAMPLES: dict[str, dict] = json.loads(SAMPLES_FILE.read_text())
JSON_TYPE = "application/json; charset=utf-8"


class Fault(Exception):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


@pytest.fixture(scope="module")
def odoo() -> Iterator[SandboxOdoo]:
    server = SandboxOdoo(port=0).start()
    yield server
    server.stop()


@pytest.fixture()
def fresh() -> Iterator[SandboxOdoo]:
    with SandboxOdoo() as server:
        yield server


@pytest.fixture(autouse=True)
def _healed(odoo: SandboxOdoo) -> Iterator[None]:
    yield
    odoo.clear_faults()
    odoo.come_up()


def post(url: str, path: str, body: Any, headers: dict[str, str] | None = None,
         method: str = "POST") -> tuple[int, str, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def rpc(url: str, service: str, method: str, *args: Any, headers: dict[str, str] | None = None) -> Any:
    status, content_type, body = post(url, "/jsonrpc", {"jsonrpc": "2.0", "method": "call", "id": 7, "params": {
        "service": service, "method": method, "args": list(args)}}, headers)
    assert (status, content_type) == (200, JSON_TYPE)
    answer = json.loads(body)
    assert answer["jsonrpc"] == "2.0" and answer["id"] == 7
    if "error" in answer:
        data = answer["error"]["data"]
        assert answer["error"]["code"] == 0 and answer["error"]["message"] == "Odoo Server Error"
        assert data["arguments"] == [data["message"]] and data["debug"].endswith(f"{data['name']}: {data['message']}\n")
        raise Fault(data["name"], data["message"])
    return answer["result"]


def call(url: str, model: str, method: str, *args: Any, uid: int = 2, secret: str = "admin", **kwargs: Any) -> Any:
    return rpc(url, "object", "execute_kw", DATABASE, uid, secret, model, method, list(args), kwargs)


def json2(url: str, model: str, method: str, body: Any, key: str = ADMIN_API_KEY,
          db: str | None = DATABASE) -> tuple[int, Any]:
    headers = {"Authorization": f"bearer {key}"} if key else {}
    if db:
        headers["X-Odoo-Database"] = db
    status, content_type, raw = post(url, f"/json/2/{model}/{method}", body, headers)
    assert content_type == JSON_TYPE
    return status, json.loads(raw)


def raises(name: str, message: str | None = None) -> Any:
    pattern = f"(?s)^{re.escape(name)}: .*{re.escape(message or '')}"
    return pytest.raises(Fault, match=pattern)


# --------------------------------------------------------------------------- the captured exchanges

def _replay(url: str, request: dict) -> tuple[int, str, bytes]:
    if "params" in request:
        return post(url, "/jsonrpc", request)
    headers = {key: value.replace("<APIKEY>", ADMIN_API_KEY) for key, value in request["headers"].items()}
    return post(url, request["path"], request["body"].encode(), headers)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_captured_exchange_is_answered_as_odoo_did(fresh: SandboxOdoo, name: str) -> None:
    sample = SAMPLES[name]
    status, content_type, body = _replay(fresh.url, sample["request"])
    assert (status, content_type) == (sample["http_status"], sample["content_type"])
    expected = sample["response"]
    if isinstance(expected, dict) and "non_json_body" in expected:
        assert body.decode().startswith(expected["non_json_body"])
        return
    if "response_raw" in sample:
        assert body.decode() == sample["response_raw"]
    answer = json.loads(body)
    error = expected.get("error", {}).get("data") if isinstance(expected, dict) else None
    error = error or (expected if isinstance(expected, dict) and "name" in expected else None)
    if error is None:
        assert answer == expected
        return
    got = answer["error"]["data"] if "error" in expected else answer
    assert {key: got[key] for key in ("name", "message", "arguments", "context")} == \
        {key: error[key] for key in ("name", "message", "arguments", "context")}
    assert got["debug"].endswith(f"{error['name']}: {error['message']}\n")
    if "error" in expected:
        assert {key: answer["error"][key] for key in ("code", "message")} == {"code": 0, "message": "Odoo Server Error"}
        assert answer["id"] == expected["id"]


# --------------------------------------------------------------------------- searching

@pytest.mark.parametrize(("model", "domain", "expected"), [
    ("res.partner", [["name", "=", "Acme Corporation"]], [9]),
    ("res.partner", [["id", "in", [9, 10, 99999]]], [9, 10]),
    ("res.partner", [["id", ">", 40], ["id", "<=", 42]], [41, 42]),
    ("res.partner", [["name", "ilike", "deco"]], [10]),
    ("res.partner", [["name", "like", "deco"]], []),
    ("res.partner", [["name", "=like", "Deco%"]], [10]),
    ("res.partner", [["name", "=ilike", "deco%"]], [10]),
    ("res.partner", [["name", "not ilike", "a"], ["is_company", "=", True]], [12, 13, 14, 17]),
    ("res.partner", ["|", ["city", "=", "Tracy"], ["city", "=", "Fremont"], ["is_company", "=", True]], [11, 15, 16]),
    ("res.partner", ["!", ["is_company", "=", False], ["ref", "not in", ["ACME", "DECO", "READY", "GEMINI", "LUMBER",
                                                                         "WOOD", "AZURE", "JACKSON", "BOS"]]],
     [1, 18, 19, 20]),
    ("res.partner", [["parent_id", "=", 15]], [21, 22, 23]),
    ("res.partner", [["parent_id", "=", "Azure Interior"]], [21, 22, 23]),
    ("res.partner", [["parent_id", "ilike", "azure"]], [21, 22, 23]),
    ("res.partner", [["parent_id.ref", "=", "AZURE"]], [21, 22, 23]),
    ("res.partner", [["country_id.code", "in", ["BE", "FR"]], ["is_company", "=", True]], [17, 18]),
    ("res.partner", [["id", "child_of", 15]], [15, 21, 22, 23]),
    ("res.partner", [["vat", "!=", False]], [9, 15, 17, 18, 19]),
    ("res.partner", [["active", "=", False]], [2, 4, 5]),
    ("res.partner", [["id", "<", 6], ["active", "in", [True, False]]], [1, 2, 3, 4, 5]),
    ("res.partner", [["id", "<", 6]], [1, 3]),
    ("res.partner", ["&", ["is_company", "=", False], ["parent_id", "=", False], ["email", "!=", False]], [3, 6, 7]),
    ("product.product", [["qty_available", ">", 100]], [20]),
    ("product.product", [["free_qty", "=", 350]], [20]),
    ("product.product", [["categ_id", "child_of", 5]], [11, 20, 21, 23, 24, 25, 28, 39]),
    ("product.product", [["default_code", "=like", "E-COM1_"]], [11, 12, 13, 23]),
    ("sale.order", [["state", "in", ["sent", "cancel"]]], [4, 7, 11, 16, 19]),
    ("sale.order", [["order_line.product_id", "=", 36]], [8, 25]),
    ("account.move", [["move_type", "=", "out_refund"]], list(range(49, 57))),
])
def test_domain_operators_and_combinations(odoo: SandboxOdoo, model: str, domain: list, expected: list) -> None:
    assert sorted(call(odoo.url, model, "search", domain)) == expected
    assert call(odoo.url, model, "search_count", domain) == len(expected)


def test_datetime_and_date_comparisons(odoo: SandboxOdoo) -> None:
    orders = call(odoo.url, "sale.order", "search_read", [], fields=["date_order"])
    since = sorted(order["date_order"] for order in orders)[12]
    found = call(odoo.url, "sale.order", "search", [["date_order", ">=", since.replace(" ", "T")]])
    assert sorted(found) == sorted(order["id"] for order in orders if order["date_order"] >= since)
    assert call(odoo.url, "account.move", "search_count", [["invoice_date", "<", "2000-01-01"]]) == 0


@pytest.mark.parametrize(("domain", "message"), [
    ([["parent_id.nope", "=", 1]], "Invalid field res.partner.nope in condition ('parent_id.nope', '=', 1)"),
    ([["name", "=", 1], ["email", "=", 2], ["nope", "in", [1, 2]]],
     "Invalid field res.partner.nope in condition ('nope', 'in', [1, 2])"),
    ([["name", "near", "x"]], "Invalid leaf ('name', 'near', 'x')"),
    (["|", ["name", "=", "x"]], "Invalid domain: ['|', ['name', '=', 'x']]"),
])
def test_invalid_domains_are_value_errors(odoo: SandboxOdoo, domain: list, message: str) -> None:
    with raises("builtins.ValueError", message):
        call(odoo.url, "res.partner", "search_read", domain)


def test_order_limit_offset_and_defaults(odoo: SandboxOdoo) -> None:
    partners = call(odoo.url, "res.partner", "search_read", [], fields=["name", "city"])
    by_name = sorted(partners, key=lambda p: (p["name"].casefold(), p["id"]), reverse=True)
    page = call(odoo.url, "res.partner", "search_read", [], fields=["name"], order="name desc", limit=3, offset=1)
    assert [p["id"] for p in page] == [p["id"] for p in by_name[1:4]]
    by_city = sorted(sorted(partners, key=lambda p: -p["id"]), key=lambda p: (p["city"] is False, p["city"] or ""))
    assert call(odoo.url, "res.partner", "search", [], order="city asc, id desc") == [p["id"] for p in by_city]
    orders = call(odoo.url, "sale.order", "search_read", [], fields=["date_order"])
    assert [o["id"] for o in orders] == [o["id"] for o in sorted(orders, key=lambda o: (o["date_order"], o["id"]),
                                                                reverse=True)]
    moves = call(odoo.url, "account.move", "search_read", [], fields=["invoice_date", "name"], limit=5)
    assert moves == sorted(moves, key=lambda m: (m["invoice_date"], m["name"], m["id"]), reverse=True)
    assert call(odoo.url, "res.partner", "search", [], limit=2, offset=40) == [p["id"] for p in partners][40:42]
    with raises("builtins.ValueError", "Invalid field 'nope' on model 'res.partner'"):
        call(odoo.url, "res.partner", "search", [], order="nope desc")


def test_web_search_read_name_search_and_fields_get(odoo: SandboxOdoo) -> None:
    answer = call(odoo.url, "res.partner", "web_search_read", [["is_company", "=", True]],
                  {"name": {}, "country_id": {}, "child_ids": {}}, limit=5, order="id")
    assert answer["length"] == 13 and len(answer["records"]) == 5
    assert answer["records"][0] == {"id": 1, "name": "My Company (San Francisco)", "country_id": 233, "child_ids": [8]}
    assert call(odoo.url, "res.partner", "web_search_read", [["is_company", "=", True]], {"name": {}},
                limit=5, count_limit=7)["length"] == 7
    empty = call(odoo.url, "res.partner", "web_search_read", [["id", "=", 0]], {"name": {}})
    assert empty == {"length": 0, "records": []}
    assert call(odoo.url, "product.product", "name_search", "FURN_888") == [[6, "[FURN_8888] Office Lamp"]]
    assert call(odoo.url, "res.partner", "name_search", "azure", limit=2) == [[15, "Azure Interior"],
                                                                              [21, "Azure Interior, Brandon Freeman"]]
    described = call(odoo.url, "sale.order", "fields_get", attributes=["type", "relation", "required"])
    assert described["partner_id"] == {"type": "many2one", "relation": "res.partner", "required": True}
    assert described["order_line"] == {"type": "one2many", "relation": "sale.order.line", "required": False}
    assert set(call(odoo.url, "res.partner", "fields_get", ["name", "nope"])) == {"name"}


def test_read_conventions(odoo: SandboxOdoo) -> None:
    [order] = call(odoo.url, "sale.order", "read", [1], ["partner_id", "order_line", "client_order_ref", "date_order"])
    assert order == {"id": 1, "partner_id": [9, "Acme Corporation"], "order_line": [1, 2, 3],
                     "client_order_ref": False, "date_order": order["date_order"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", order["date_order"])
    [move] = call(odoo.url, "account.move", "read", [1], ["invoice_line_ids", "amount_total", "invoice_date"])
    assert move == {"id": 1, "invoice_line_ids": [1, 2], "amount_total": 31750.0, "invoice_date": move["invoice_date"]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", move["invoice_date"])
    assert call(odoo.url, "res.partner", "read", [3, 99999, 1], ["parent_id"]) == [
        {"id": 3, "parent_id": False}, {"id": 1, "parent_id": False}]
    assert call(odoo.url, "stock.quant", "search_read", [["product_id", "=", 20]], ["location_id", "quantity"],
                order="location_id") == [{"id": 3, "location_id": [5, "WH/Stock"], "quantity": 500.0}]
    [stock] = call(odoo.url, "product.product", "read", [20], ["qty_available", "free_qty", "virtual_available"])
    assert stock == {"id": 20, "qty_available": 500.0, "free_qty": 350.0, "virtual_available": 500.0}


# --------------------------------------------------------------------------- writing

def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")


def test_create_write_unlink_round_trip(odoo: SandboxOdoo) -> None:
    before = _now()
    partner = call(odoo.url, "res.partner", "create", {"name": "Round Trip", "email": "", "country_id": 21})
    assert isinstance(partner, int) and not isinstance(partner, bool)
    [created] = call(odoo.url, "res.partner", "read", [partner], ["email", "country_code", "write_date", "type"])
    assert created["email"] is False and created["country_code"] == "BE" and created["type"] == "contact"
    assert created["write_date"] >= before
    old = call(odoo.url, "res.partner", "read", [9], ["write_date"])[0]["write_date"]
    assert call(odoo.url, "res.partner", "write", [9, partner], {"phone": "+32 2 555 00 00"}) is True
    stamps = call(odoo.url, "res.partner", "read", [9, partner], ["phone", "write_date"])
    assert all(row["phone"] == "+32 2 555 00 00" and row["write_date"] >= before > old for row in stamps)
    assert len(call(odoo.url, "res.partner", "create", [{"name": "A"}, {"name": "B"}])) == 2
    assert call(odoo.url, "res.partner", "unlink", [partner]) is True
    assert call(odoo.url, "res.partner", "read", [partner], ["name"]) == []
    with raises("odoo.exceptions.MissingError", f"(Record: res.partner({partner},), User: 2)"):
        call(odoo.url, "res.partner", "write", [partner], {"name": "gone"})


def test_write_errors(odoo: SandboxOdoo) -> None:
    with raises("odoo.exceptions.ValidationError", "You cannot create recursive Partner hierarchies."):
        call(odoo.url, "res.partner", "write", [15], {"parent_id": 21})
    with raises("odoo.exceptions.ValidationError", "Missing required value for the field 'Name' (name).\n"
                "Model: 'Product' (product.template)"):
        call(odoo.url, "product.product", "create", {"default_code": "NO-NAME"})
    with raises("builtins.ValueError", "Invalid field 'nope' on model 'res.partner'"):
        call(odoo.url, "res.partner", "write", [9], {"nope": 1})
    with raises("builtins.ValueError", "Wrong value for sale.order.state: 'nope'"):
        call(odoo.url, "sale.order", "write", [1], {"state": "nope"})
    with raises("builtins.TypeError", "BaseModel.write() missing 1 required positional argument: 'vals'"):
        call(odoo.url, "res.partner", "write", [9])
    with raises("odoo.exceptions.ValidationError", "Constraint: sale_order_partner_id_fkey"):
        call(odoo.url, "res.partner", "unlink", [9])


def test_product_and_external_ids(odoo: SandboxOdoo) -> None:
    product = call(odoo.url, "product.product", "create", {"name": "Sandbox Stool", "default_code": "SBX-1",
                                                           "list_price": 19.5})
    [row] = call(odoo.url, "product.product", "read", [product], ["display_name", "list_price", "product_tmpl_id"])
    assert row["display_name"] == "[SBX-1] Sandbox Stool" and row["list_price"] == 19.5
    assert row["product_tmpl_id"][1] == "[SBX-1] Sandbox Stool"
    call(odoo.url, "stock.quant", "create", {"product_id": product, "location_id": 5, "quantity": 4})
    assert call(odoo.url, "product.product", "read", [product], ["qty_available"])[0]["qty_available"] == 4.0
    [model] = call(odoo.url, "ir.model", "search_read", [["model", "=", "sale.order"]], ["name"])
    assert model["name"] == "Sales Order"
    call(odoo.url, "ir.model.data", "create", {"module": "smn", "name": "stool", "model": "product.product",
                                               "res_id": product})
    [xmlid] = call(odoo.url, "ir.model.data", "search_read", [["module", "=", "smn"], ["name", "=", "stool"]],
                   ["res_id", "complete_name", "model"])
    assert (xmlid["res_id"], xmlid["complete_name"], xmlid["model"]) == (product, "smn.stool", "product.product")


def test_sale_order_with_lines_amounts_confirm_cancel(odoo: SandboxOdoo) -> None:
    lines = [[0, 0, {"product_id": 5, "product_uom_qty": 2}],
             [0, 0, {"product_id": 6, "product_uom_qty": 1, "price_unit": 100, "discount": 10,
                     "tax_ids": [[6, 0, [1]]]}]]
    order = call(odoo.url, "sale.order", "create", {"partner_id": 10, "order_line": lines})
    [read] = call(odoo.url, "sale.order", "read", [order], ["name", "state", "order_line", "amount_untaxed",
                                                           "amount_tax", "amount_total", "user_id"])
    assert re.fullmatch(r"S\d{5}", read["name"]) and int(read["name"][1:]) >= 27 and read["state"] == "draft"
    assert (read["amount_untaxed"], read["amount_tax"], read["amount_total"]) == (220.0, 13.5, 233.5)
    assert read["user_id"][0] == 2
    first, second = call(odoo.url, "sale.order.line", "read", read["order_line"],
                         ["name", "price_unit", "price_subtotal", "price_total", "product_uom_id"])
    assert first["name"] == "[FURN_7777] Office Chair\nComfortable yellow chair for daily work"
    assert (first["price_unit"], first["price_subtotal"], first["product_uom_id"]) == (65.0, 130.0, [1, "Units"])
    assert (second["price_subtotal"], second["price_total"]) == (90.0, 103.5)
    assert call(odoo.url, "sale.order", "action_confirm", [order]) is True
    assert call(odoo.url, "sale.order", "read", [order], ["state"])[0]["state"] == "sale"
    with raises("odoo.exceptions.UserError", "You can not delete a sent quotation or a confirmed sales order."):
        call(odoo.url, "sale.order", "unlink", [order])
    assert call(odoo.url, "sale.order", "action_cancel", [order]) is True
    with raises("odoo.exceptions.UserError", "Some orders are not in a state requiring confirmation."):
        call(odoo.url, "sale.order", "action_confirm", [order])
    assert call(odoo.url, "sale.order", "unlink", [order]) is True
    assert call(odoo.url, "sale.order.line", "search", [["order_id", "=", order]]) == []


def test_a_failed_call_changes_nothing(odoo: SandboxOdoo) -> None:
    orders, lines = (call(odoo.url, model, "search_count", []) for model in ("sale.order", "sale.order.line"))
    with raises("odoo.exceptions.ValidationError", "Constraint: sale_order_line_product_id_fkey"):
        call(odoo.url, "sale.order", "create", {"partner_id": 9, "order_line": [
            [0, 0, {"product_id": 5}], [0, 0, {"product_id": 99999, "name": "x", "price_unit": 1}]]})
    assert (call(odoo.url, "sale.order", "search_count", []), call(odoo.url, "sale.order.line", "search_count", [])) \
        == (orders, lines)


# --------------------------------------------------------------------------- protocols

def test_jsonrpc_details(odoo: SandboxOdoo) -> None:
    url = odoo.url
    assert rpc(url, "common", "authenticate", DATABASE, "admin", ADMIN_API_KEY, {}) == 2
    assert rpc(url, "common", "login", DATABASE, "demo", "demo") == 5
    assert rpc(url, "common", "authenticate", DATABASE, "demo", ADMIN_API_KEY, {}) is False
    count = call(url, "res.partner", "search_count", [])
    assert call(url, "res.partner", "search_count", [], secret=ADMIN_API_KEY) == count
    assert rpc(url, "object", "execute", DATABASE, 2, "admin", "res.partner", "search", [["id", "=", 9]]) == [9]
    assert rpc(url, "db", "list") == [DATABASE] and rpc(url, "db", "server_version") == "19.0"
    with raises("builtins.Exception", "Method not found: nope"):
        rpc(url, "common", "nope")
    with raises("builtins.NameError", "Method not available nope"):
        rpc(url, "object", "nope", DATABASE, 2, "admin")
    with raises("odoo.exceptions.AccessDenied", "Access Denied"):
        call(url, "res.partner", "search_count", [], uid=5, secret="admin")
    status, content_type, body = post(url, "/jsonrpc", [1, 2])
    assert (status, content_type, body) == (400, "text/html; charset=utf-8", b"Invalid JSON-RPC data")
    status, content_type, _body = post(url, "/jsonrpc", {}, {"Content-Type": "text/plain"})
    assert (status, content_type) == (400, "text/html; charset=utf-8")
    with urllib.request.urlopen(url + "/web/version", timeout=5) as response:
        assert json.loads(response.read()) == {"version": "19.0", "version_info": [19, 0, 0, "final", 0, ""]}


def test_json2_round_trip_and_errors(odoo: SandboxOdoo) -> None:
    url = odoo.url
    assert json2(url, "res.partner", "create", {"vals_list": [{"name": "JSON-2"}]})[0] == 200
    status, [partner] = json2(url, "res.partner", "search", {"domain": [["name", "=", "JSON-2"]]})
    assert json2(url, "res.partner", "write", {"ids": [partner], "vals": {"ref": "J2"}}) == (200, True)
    assert json2(url, "res.partner", "read", {"ids": [partner], "fields": ["ref"], "context": {"lang": "en_US"}}) == (
        200, [{"id": partner, "ref": "J2"}])
    assert json2(url, "sale.order", "action_confirm", {"ids": [1]}) == (200, True)
    expectations = [
        (("res.partner", "search_count", {"domain": []}, None), 401, "werkzeug.exceptions.Unauthorized"),
        (("res.partner", "nope", {}), 404, "werkzeug.exceptions.NotFound"),
        (("res.partner", "search_count", {"domain": [], "bogus": 1}), 422, "werkzeug.exceptions.UnprocessableEntity"),
        (("res.partner", "create", {"ids": [1], "vals_list": []}), 422, "werkzeug.exceptions.UnprocessableEntity"),
        (("res.partner", "_compute_display_name", {"ids": [1]}), 403, "odoo.exceptions.AccessError"),
        (("ir.config_parameter", "search_read", {"domain": []}, DEMO_API_KEY), 403, "odoo.exceptions.AccessError"),
        (("res.partner", "write", {"ids": [99999], "vals": {"name": "x"}}), 404, "odoo.exceptions.MissingError"),
        (("sale.order", "create", {"vals_list": [{}]}), 422, "odoo.exceptions.ValidationError"),
        (("res.partner", "search", {"domain": [["nope", "=", 1]]}), 500, "builtins.ValueError"),
        (("res.partner", "search_count", {"domain": []}, ADMIN_API_KEY, "no_such_db"), 500,
         "psycopg2.OperationalError"),
    ]
    for args, status, name in expectations:
        got_status, body = json2(url, *args)
        assert (got_status, body["name"]) == (status, name), args
        expected_arguments = [body["message"], status] if name.startswith("werkzeug.") else [body["message"]]
        assert body["arguments"] == expected_arguments and body["context"] == {}
    status, content_type, body = post(url, "/json/2/res.partner/search", b"{nope", {
        "Authorization": f"Bearer {ADMIN_API_KEY}"})
    assert status == 400 and json.loads(body)["message"].startswith("could not parse the body as json: ")
    status, content_type, body = post(url, "/json/2/res.partner", b"")
    assert (status, json.loads(body)["message"]) == (404, "Did you mean POST /json/2/<model>/<method>?")


# --------------------------------------------------------------------------- faults and bookkeeping

def test_go_down_refuses_connections_and_come_up_reuses_the_port(odoo: SandboxOdoo) -> None:
    port = odoo.port
    kept = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    kept.request("GET", "/web/version")
    assert kept.getresponse().read()
    odoo.go_down()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        kept.request("GET", "/web/version")
        kept.getresponse().read()
    odoo.clear_faults()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    odoo.come_up()
    odoo.come_up()
    assert odoo.port == port and odoo.url == f"http://127.0.0.1:{port}"
    assert call(odoo.url, "res.partner", "search_count", []) > 0


def test_start_on_a_taken_port_is_an_os_error(odoo: SandboxOdoo) -> None:
    with pytest.raises(OSError):
        SandboxOdoo(port=odoo.port).start()


def test_latency_and_proxy_errors(odoo: SandboxOdoo) -> None:
    odoo.set_latency(0.3)
    started = time.monotonic()
    call(odoo.url, "res.partner", "search_count", [])
    assert time.monotonic() - started >= 0.3
    odoo.set_latency(0)
    odoo.set_proxy_error(502)
    status, content_type, body = post(odoo.url, "/jsonrpc", {"jsonrpc": "2.0", "params": {}})
    assert (status, content_type) == (502, "text/html") and b"<h1>502 Bad Gateway</h1>" in body
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(odoo.url + "/web/version", timeout=5)
    assert caught.value.code == 502
    odoo.set_proxy_error(None)
    assert call(odoo.url, "res.partner", "search_count", []) > 0
    with pytest.raises(ValueError):
        odoo.set_proxy_error(500)


def test_raise_error_with_times_and_filters(odoo: SandboxOdoo) -> None:
    odoo.raise_error("odoo.exceptions.ValidationError", "Stock too low", model="res.partner", method="create", times=2)
    assert call(odoo.url, "res.partner", "search_count", []) > 0
    assert json2(odoo.url, "product.category", "create", {"vals_list": [{"name": "Fault-free"}]})[0] == 200
    with raises("odoo.exceptions.ValidationError", "Stock too low"):
        call(odoo.url, "res.partner", "create", {"name": "x"})
    assert json2(odoo.url, "res.partner", "create", {"vals_list": [{"name": "x"}]})[0] == 422
    assert isinstance(call(odoo.url, "res.partner", "create", {"name": "third time"}), int)
    for name, status in [("odoo.exceptions.AccessError", 403), ("odoo.exceptions.MissingError", 404),
                         ("werkzeug.exceptions.Conflict", 409), ("builtins.RuntimeError", 500)]:
        odoo.raise_error(name, "injected", times=1)
        got_status, body = json2(odoo.url, "res.country", "search", {"domain": []})
        assert (got_status, body["name"], body["message"]) == (status, name, "injected")
    odoo.raise_error("odoo.exceptions.UserError", "forever", model="res.country")
    for _ in range(2):
        with raises("odoo.exceptions.UserError", "forever"):
            call(odoo.url, "res.country", "search", [])
    odoo.clear_faults()
    assert call(odoo.url, "res.country", "search_count", []) == 6


def test_calls_and_headers_are_recorded(odoo: SandboxOdoo) -> None:
    rpc(odoo.url, "object", "execute_kw", DATABASE, 2, "admin", "res.partner", "search_count", [[]], {},
        headers={"X-Request-Id": "req-sandbox-1"})
    assert odoo.calls[-1] == ("jsonrpc", "res.partner", "search_count")
    assert odoo.received_headers[-1]["X-Request-Id"] == "req-sandbox-1"
    json2(odoo.url, "res.partner", "search_count", {"domain": []})
    assert odoo.calls[-1] == ("json2", "res.partner", "search_count")
    assert "X-Request-Id" not in odoo.received_headers[-1]


def test_extra_products_are_pageable() -> None:
    with SandboxOdoo(extra_products=3000) as big:
        assert call(big.url, "product.product", "search_count", []) == 3047
        seen: list[int] = []
        while True:
            keyset = [["id", ">", seen[-1]]] if seen else []
            chunk = call(big.url, "product.product", "search_read", keyset, fields=["default_code", "qty_available"],
                         limit=500, order="id")
            seen += [row["id"] for row in chunk]
            if len(chunk) < 500:
                break
        assert len(seen) == len(set(seen)) == 3047
        status, page = json2(big.url, "product.product", "search_read", {
            "domain": [["default_code", "=like", "GEN-%"]], "fields": ["name"], "offset": 2990, "limit": 20,
            "order": "id"})
        assert status == 200
        assert [row["name"] for row in page] == [f"Generated Product {n:06d}" for n in range(2991, 3001)]


def test_main_serves_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "smn.odoo.sandbox", "--port", "0", "--latency-ms", "1"],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert "admin" in line and ADMIN_API_KEY in line
        assert rpc(url, "common", "version")["server_version"] == "19.0"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
