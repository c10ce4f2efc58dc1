"""/v1/orders against the Odoo stand-in over HTTP, and the OpenAPI document of the partner API."""
from __future__ import annotations

import threading
import uuid

import pytest

from smn.openapi import iter_routes, openapi_path


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    return response.json


def _fields(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def _order(**extra) -> dict:
    body = {
        "partner": {"ref": "ACME"},
        "client_order_ref": f"PO-{uuid.uuid4().hex[:10]}",
        "lines": [{"product": {"sku": "FURN_7777"}, "quantity": 2}, {"product": {"id": 6}, "quantity": 1}],
    }
    body.update(extra)
    return body


def _orders_with_ref(sandbox_client, ref: str) -> int:
    return sandbox_client.search_count("sale.order", [["client_order_ref", "=", ref]])


# ---------------------------------------------------------------- create

def test_create_and_confirm(api, assert_schema, odoo_calls) -> None:
    body = _order(confirm=True)
    with odoo_calls() as calls:
        response = api.post("/v1/orders", body)
    assert response.status_code == 201, response.text
    order = response.json
    assert_schema("Order", order)
    assert response.headers["location"] == f"/v1/orders/{order['id']}"
    assert order["state"] == "confirmed" and order["number"].startswith("S")
    assert order["partner"] == {"id": 9, "name": "Acme Corporation"}
    assert order["client_order_ref"] == body["client_order_ref"] and order["currency"] == "USD"
    assert [(line["product"]["id"], line["quantity"]) for line in order["lines"]] == [(5, 2.0), (6, 1.0)]
    assert order["amount_untaxed"] == pytest.approx(2 * 65.0 + 145.0)
    assert order["amount_total"] >= order["amount_untaxed"]
    assert calls.pairs == [("res.partner", "search_read"), ("product.product", "search_read"),
                           ("sale.order", "create"), ("sale.order", "action_confirm"),
                           ("sale.order", "search_read"), ("sale.order.line", "search_read")]
    assert api.get(response.headers["location"]).json == order


def test_create_a_quotation_with_a_unit_price(api) -> None:
    order = api.post("/v1/orders", _order(partner={"id": 10}, lines=[
        {"product": {"id": 5}, "quantity": 3, "unit_price": 50.0}])).json
    assert order["state"] == "draft" and order["partner"]["id"] == 10
    assert order["lines"][0]["unit_price"] == 50.0 and order["amount_untaxed"] == pytest.approx(150.0)


@pytest.mark.parametrize(("change", "field"), [
    ({"lines": [{"product": {"id": 5}, "quantity": 0}]}, "lines.0.quantity"),
    ({"lines": [{"product": {"id": 5}, "quantity": -1}]}, "lines.0.quantity"),
    ({"lines": [{"product": {"id": 5}, "quantity": "2"}]}, "lines.0.quantity"),
    ({"lines": [{"product": {"id": 5}, "quantity": 1, "unit_price": -5}]}, "lines.0.unit_price"),
    ({"lines": [{"product": {}, "quantity": 1}]}, "lines.0.product"),
    ({"lines": [{"product": {"id": 5, "sku": "FURN_7777"}, "quantity": 1}]}, "lines.0.product"),
    ({"lines": [{"quantity": 1}]}, "lines.0.product"),
    ({"lines": []}, "lines"),
    ({"partner": {"id": "9"}}, "partner.id"),
    ({"partner": {"id": 9, "ref": "ACME"}}, "partner"),
    ({"confirm": "yes"}, "confirm"),
    ({"discount": 10}, "discount"),
])
def test_invalid_orders_are_422_before_odoo(api, odoo_calls, change: dict, field: str) -> None:
    with odoo_calls() as calls:
        body = _problem(api.post("/v1/orders", _order(**change)), 422)
    assert body["type"] == "/problems/validation-error" and field in _fields(body), body
    assert len(calls) == 0


def test_missing_partner_field_is_422(api) -> None:
    body = _order()
    del body["partner"]
    assert "partner" in _fields(_problem(api.post("/v1/orders", body), 422))


def test_unknown_partner_and_products_are_field_errors_checked_in_one_lookup_each(api, odoo_calls) -> None:
    body = _order(partner={"ref": "NOBODY"}, lines=[
        {"product": {"sku": "NO-SUCH-SKU"}, "quantity": 1},
        {"product": {"id": 99999999}, "quantity": 1},
        {"product": {"id": 48}, "quantity": 1},
        {"product": {"sku": "FURN_7777"}, "quantity": 1},
    ])
    with odoo_calls() as calls:
        problem = _problem(api.post("/v1/orders", body), 422)
    assert _fields(problem) == {"partner.ref", "lines.0.product.sku", "lines.1.product.id", "lines.2.product.id"}
    assert calls.pairs == [("res.partner", "search_read"), ("product.product", "search_read")]


def test_odoo_rejecting_the_order_is_422_with_its_message(api, sandbox) -> None:
    sandbox.raise_error("odoo.exceptions.ValidationError", "Stock too low for FURN_7777",
                        model="sale.order", method="create", times=1)
    body = _problem(api.post("/v1/orders", _order()), 422)
    assert body["detail"] == "Stock too low for FURN_7777" and body["type"] == "/problems/odoo-rejected"


def test_a_refused_confirmation_leaves_a_draft_and_says_so(api, sandbox) -> None:
    sandbox.raise_error("odoo.exceptions.UserError", "Credit limit exceeded", model="sale.order",
                        method="action_confirm", times=1)
    body = _problem(api.post("/v1/orders", _order(confirm=True)), 422)
    assert "Credit limit exceeded" in body["detail"] and body["order"]["state"] == "draft"


@pytest.mark.parametrize(("name", "status"), [
    ("odoo.exceptions.AccessError", 403),
    ("odoo.exceptions.MissingError", 404),
    ("odoo.exceptions.UserError", 422),
    ("builtins.KeyError", 502),
])
@pytest.mark.parametrize(("model", "method", "call"), [
    ("sale.order", "create", lambda api: api.post("/v1/orders", _order())),
    ("sale.order", "search_read", lambda api: api.get("/v1/orders")),
    ("sale.order", "search_read", lambda api: api.get("/v1/orders/1")),
    ("sale.order", "action_confirm", lambda api: api.post("/v1/orders/1/confirm")),
], ids=["create", "list", "item", "confirm"])
def test_odoo_faults_map_to_statuses(api, sandbox, name: str, status: int, model: str, method: str, call) -> None:
    sandbox.raise_error(name, "Odoo refused this", model=model, method=method)
    body = _problem(call(api), status)
    assert ("Odoo refused this" in body["detail"]) == (status != 502)


def test_odoo_down_queues_the_order_and_nothing_is_half_done(api, sandbox, services) -> None:
    """Issue #5: the write is kept in the outbox (202 + job) instead of a 503; tests/outbox delivers it."""
    api.get("/v1/orders/1")
    body = _order()
    sandbox.go_down()
    response = api.post("/v1/orders", body)
    assert response.status_code == 202 and response.headers["location"].startswith("/v1/jobs/")
    sandbox.come_up()
    assert _orders_with_ref(services.odoo, body["client_order_ref"]) == 0


# ---------------------------------------------------------------- idempotency

def test_same_key_same_body_replays_without_odoo(api, odoo_calls) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = _order(confirm=True)
    first = api.post("/v1/orders", body, headers=headers)
    with odoo_calls() as calls:
        second = api.post("/v1/orders", body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content and second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert len(calls) == 0


def test_same_key_other_body_is_422(api) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    api.post("/v1/orders", _order(), headers=headers)
    problem = _problem(api.post("/v1/orders", _order(), headers=headers), 422)
    assert problem["type"] == "/problems/idempotency-key-reused" and "Idempotency-Key" in _fields(problem)


def test_bad_idempotency_key_is_422(api) -> None:
    response = api.post("/v1/orders", _order(), headers={"Idempotency-Key": "x" * 300})
    assert "Idempotency-Key" in _fields(_problem(response, 422))


def test_concurrent_duplicates_create_one_order(api, sandbox, services) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = _order(confirm=True)
    api.get("/v1/orders/1")  # one API client (token) for all three threads
    sandbox.set_latency(0.3)
    barrier = threading.Barrier(3)
    responses = []

    def send() -> None:
        barrier.wait()
        responses.append(api.post("/v1/orders", body, headers=headers))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sandbox.set_latency(0)
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.content for r in responses}) == 1
    assert sorted(r.headers.get("idempotent-replayed", "") for r in responses) == ["", "true", "true"]
    assert _orders_with_ref(services.odoo, body["client_order_ref"]) == 1


def test_a_queued_write_replays_its_202_for_the_same_key(api, sandbox, services) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = _order()
    api.get("/v1/orders/1")
    sandbox.go_down()
    first = api.post("/v1/orders", body, headers=headers)
    assert first.status_code == 202
    sandbox.come_up()
    retry = api.post("/v1/orders", body, headers=headers)
    assert retry.status_code == 202 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json["id"] == first.json["id"]
    assert _orders_with_ref(services.odoo, body["client_order_ref"]) == 0


# ---------------------------------------------------------------- read

def test_list_with_lines_in_few_round_trips(api, assert_schema, odoo_calls) -> None:
    with odoo_calls() as calls:
        body = api.get("/v1/orders", params={"limit": 10}).json
    assert_schema("OrderPage", body)
    assert len(body["items"]) == 10 and body["total"] >= 24
    assert all(order["lines"] for order in body["items"])
    ids = [order["id"] for order in body["items"]]
    assert ids == sorted(ids, reverse=True)
    assert calls.methods() == ["search_read", "search_count", "search_read"]


def test_list_filters(api) -> None:
    confirmed = api.get("/v1/orders", params={"state": "confirmed", "limit": 200}).json["items"]
    assert confirmed and {order["state"] for order in confirmed} == {"confirmed"}
    acme = api.get("/v1/orders", params={"partner": 9, "limit": 200}).json["items"]
    assert acme and {order["partner"]["id"] for order in acme} == {9}
    by_ref = api.get("/v1/orders", params={"client_order_ref": "GEM-5521"}).json
    assert by_ref["total"] == 1 and by_ref["items"][0]["number"] == "S00005"
    assert by_ref["items"][0]["lines"][0]["product"]["id"] == 9
    everything = api.get("/v1/orders", params={"limit": 200}).json["total"]
    recent = api.get("/v1/orders", params={"date_from": "2999-01-01"}).json["total"]
    old = api.get("/v1/orders", params={"date_to": "2000-01-01"}).json["total"]
    assert recent == 0 and old == 0 and everything >= 24
    window = api.get("/v1/orders", params={"date_from": "2000-01-01", "date_to": "2999-12-31",
                                           "limit": 200}).json
    assert window["total"] == everything


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "sale"}, "state"), ({"date_from": "01/12/2026"}, "date_from"),
    ({"partner": "acme"}, "partner"), ({"limit": 1000}, "limit"), ({"sort": "name"}, "sort"),
])
def test_bad_list_filters_are_422(api, odoo_calls, params: dict, field: str) -> None:
    with odoo_calls() as calls:
        assert field in _fields(_problem(api.get("/v1/orders", params=params), 422))
    assert len(calls) == 0


def test_read_one_with_etag(api, assert_schema) -> None:
    response = api.get("/v1/orders/1")
    assert_schema("Order", response.json)
    assert response.json["number"] == "S00001" and len(response.json["lines"]) == 3
    assert api.get("/v1/orders/1", headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    _problem(api.get("/v1/orders/99999999"), 404)


# ---------------------------------------------------------------- confirm and cancel

def test_confirm_then_cancel(api, assert_schema) -> None:
    order = api.post("/v1/orders", _order()).json
    confirmed = api.post(f"/v1/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert_schema("Order", confirmed.json)
    assert confirmed.json["state"] == "confirmed"
    cancelled = api.post(f"/v1/orders/{order['id']}/cancel", {})
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"


def test_confirm_and_cancel_of_missing_orders_are_404(api) -> None:
    _problem(api.post("/v1/orders/99999999/confirm"), 404)
    _problem(api.post("/v1/orders/99999999/cancel"), 404)


def test_confirm_takes_no_options(api) -> None:
    assert "force" in _fields(_problem(api.post("/v1/orders/1/confirm", {"force": True}), 422))


def test_confirm_is_idempotent_with_a_key(api, odoo_calls) -> None:
    order = api.post("/v1/orders", _order()).json
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post(f"/v1/orders/{order['id']}/confirm", headers=headers)
    with odoo_calls() as calls:
        second = api.post(f"/v1/orders/{order['id']}/confirm", headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true" and len(calls) == 0


# ---------------------------------------------------------------- batch

def test_batch_answers_per_order(api, assert_schema, odoo_calls) -> None:
    good = [_order(), _order(confirm=True), _order(partner={"ref": "DECO"})]
    bad_field = _order(lines=[{"product": {"id": 5}, "quantity": 0}])
    bad_product = _order(lines=[{"product": {"sku": "NO-SUCH"}, "quantity": 1}])
    with odoo_calls() as calls:
        response = api.post("/v1/orders/batch", {"orders": [good[0], bad_field, good[1], bad_product, good[2]]})
    assert response.status_code == 200, response.text
    assert_schema("BatchResult", response.json)
    results = response.json["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [201, 422, 201, 422, 201]
    assert results[1]["problem"]["errors"][0]["field"] == "lines.0.quantity"
    assert results[3]["problem"]["errors"][0]["field"] == "lines.0.product.sku"
    assert results[2]["order"]["state"] == "confirmed" and results[4]["order"]["partner"]["id"] == 10
    assert calls.pairs.count(("res.partner", "search_read")) == 1
    assert calls.pairs.count(("product.product", "search_read")) == 1
    assert calls.pairs.count(("sale.order", "create")) == 3
    assert calls.pairs.count(("sale.order", "search_read")) == 1


def test_batch_reports_odoo_rejections_per_order(api, sandbox) -> None:
    sandbox.raise_error("odoo.exceptions.ValidationError", "No more credit", model="sale.order",
                        method="create", times=1)
    results = api.post("/v1/orders/batch", {"orders": [_order(), _order()]}).json["results"]
    assert [r["status"] for r in results] == [422, 201]
    assert results[0]["problem"]["detail"] == "No more credit"


def test_batch_limits(api, services) -> None:
    too_many = {"orders": [_order() for _ in range(services.settings.batch_max_orders + 1)]}
    assert "orders" in _fields(_problem(api.post("/v1/orders/batch", too_many), 422))
    assert "orders" in _fields(_problem(api.post("/v1/orders/batch", {"orders": []}), 422))
    assert "orders" in _fields(_problem(api.post("/v1/orders/batch", {"orders": "x"}), 422))
    assert "order" in _fields(_problem(api.post("/v1/orders/batch", {"order": []}), 422))


def test_batch_is_idempotent(api, services) -> None:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"orders": [_order(), _order()]}
    first = api.post("/v1/orders/batch", body, headers=headers)
    second = api.post("/v1/orders/batch", body, headers=headers)
    assert second.content == first.content and second.headers["idempotent-replayed"] == "true"
    for order in body["orders"]:
        assert _orders_with_ref(services.odoo, order["client_order_ref"]) == 1


def test_scopes(api) -> None:
    reader = api.as_scopes("orders:read")
    assert reader.get("/v1/orders").status_code == 200
    assert reader.post("/v1/orders", _order()).status_code == 403
    assert reader.post("/v1/orders/1/confirm").status_code == 403
    assert reader.post("/v1/orders/batch", {"orders": [_order()]}).status_code == 403
    assert api.as_scopes("orders:write").get("/v1/orders/1").status_code == 403


def test_request_id_reaches_odoo_and_the_access_log(api, sandbox, json_logs) -> None:
    api.get("/v1/orders", params={"limit": 5})  # field definitions are read once per worker: not in the count
    sandbox.received_headers.clear()
    response = api.get("/v1/orders", params={"limit": 5}, headers={"X-Request-Id": "partner-trace-42"})
    assert response.headers["x-request-id"] == "partner-trace-42"
    sent = [{k.lower(): v for k, v in headers.items()} for headers in sandbox.received_headers]
    assert sent and all(headers.get("x-request-id") == "partner-trace-42" for headers in sent)
    access = [line for line in json_logs.lines() if line.get("request_id") == "partner-trace-42"
              and line.get("route") == "/v1/orders"]
    assert access and access[-1]["odoo_calls"] == 3 and access[-1]["odoo_ms"] > 0


def test_problems_match_the_documented_schema(api, assert_schema) -> None:
    assert_schema("Problem", api.post("/v1/orders", _order(lines=[])).json)
    assert_schema("Problem", api.get("/v1/orders/99999999").json)


# ---------------------------------------------------------------- OpenAPI

PARTNER_OPERATIONS = {
    ("/v1/partners", "get"), ("/v1/partners", "post"), ("/v1/partners/{partner_id}", "get"),
    ("/v1/partners/{partner_id}", "patch"), ("/v1/products", "get"), ("/v1/products/{product_id}", "get"),
    ("/v1/products/{product_id}/stock", "get"), ("/v1/orders", "get"), ("/v1/orders", "post"),
    ("/v1/orders/batch", "post"), ("/v1/orders/{order_id}", "get"), ("/v1/orders/{order_id}/confirm", "post"),
    ("/v1/orders/{order_id}/cancel", "post"), ("/v1/invoices", "get"), ("/v1/invoices/{invoice_id}", "get"),
}


def _resolve(document: dict, node: dict) -> dict:
    """The component a `#/components/<kind>/<name>` reference names (schemas, parameters...)."""
    while "$ref" in node:
        _, _, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def _has_examples(document: dict, schema: dict, seen: set[str] | None = None) -> bool:
    """Every property of the schema (and of nested schemas) has an example or is itself an object/list."""
    seen = seen if seen is not None else set()
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return True
        seen.add(name)
    schema = _resolve(document, schema)
    for option in schema.get("anyOf", []):
        if option.get("type") != "null" and not _has_examples(document, option, seen):
            return False
    if "items" in schema:
        return _has_examples(document, schema["items"], seen)
    for prop in schema.get("properties", {}).values():
        if "example" not in prop and not any(key in prop for key in ("$ref", "items", "anyOf")):
            return False
        if not _has_examples(document, prop, seen):
            return False
    return True


def test_openapi_lists_every_partner_operation_with_schemas_and_examples(openapi_document, app) -> None:
    document = openapi_document
    listed = {(path, method) for path, item in document["paths"].items() for method in item
              if method in ("get", "post", "patch") and path.startswith("/v1/") and "/auth/" not in path}
    assert PARTNER_OPERATIONS <= listed
    routed = {openapi_path(route.uri_template) for route in iter_routes(app)}
    assert {path for path, _ in PARTNER_OPERATIONS} <= routed
    for path, method in PARTNER_OPERATIONS:
        operation = document["paths"][path][method]
        success = next(str(code) for code in operation["responses"] if str(code) in ("200", "201"))
        content = operation["responses"][success]["content"]["application/json"]
        assert _has_examples(document, content["schema"]), (path, method)
        assert "422" in operation["responses"] or path.endswith("}"), (path, method)
        if method in ("post", "patch"):
            parameters = {_resolve(document, p)["name"] for p in operation.get("parameters", [])}
            assert "Idempotency-Key" in parameters, (path, method)
            queued = _resolve(document, operation["responses"]["202"])
            assert "Location" in queued["headers"], (path, method)
        if method in ("post", "patch") and "requestBody" in operation:
            assert _has_examples(document, operation["requestBody"]["content"]["application/json"]["schema"])
    assert document["paths"]["/v1/orders"]["post"]["requestBody"]["required"] is True
    assert "application/x-ndjson" in document["paths"]["/v1/products"]["get"]["responses"]["200"]["content"]
