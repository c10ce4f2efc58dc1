"""/v1/products and /v1/products/{id}/stock against the Odoo stand-in over HTTP."""
from __future__ import annotations

import tracemalloc

import pytest
from falcon import testing

from tests.fixtures.partner_api import ndjson_lines

ACTIVE_PRODUCTS = 47


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    return response.json


def _fields(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def test_list_is_paginated_and_matches_the_schema(api, assert_schema) -> None:
    body = api.get("/v1/products", params={"limit": 20}).json
    assert_schema("ProductPage", body)
    assert body["total"] == ACTIVE_PRODUCTS and len(body["items"]) == 20
    assert body["next"] == "/v1/products?limit=20&offset=20"
    last = api.get("/v1/products", params={"limit": 20, "offset": 40}).json
    assert len(last["items"]) == ACTIVE_PRODUCTS - 40 and last["next"] is None


def test_product_shape(api) -> None:
    chair = api.get("/v1/products", params={"sku": "FURN_7777"}).json["items"]
    assert len(chair) == 1
    chair = chair[0]
    assert chair["name"] == "Office Chair" and chair["type"] == "goods" and chair["is_storable"] is True
    assert chair["category"] == {"id": 4, "name": chair["category"]["name"]} and chair["unit"]["id"] == 1
    assert chair["price"] == 65.0 and chair["currency"] == "USD"
    service = api.get("/v1/products/3").json
    assert service["type"] == "service" and service["is_storable"] is False and service["sku"] is None
    combo = api.get("/v1/products/46").json
    assert combo["type"] == "combo"


def test_filters(api) -> None:
    assert [p["id"] for p in api.get("/v1/products", params={"barcode": "6016478550005"}).json["items"]] == [5]
    chairs = api.get("/v1/products", params={"q": "chair", "limit": 200}).json["items"]
    assert chairs and all("chair" in p["name"].lower() for p in chairs)
    storage = api.get("/v1/products", params={"category": 5, "limit": 200}).json["items"]
    assert storage and all(p["category"]["id"] == 5 for p in storage)
    goods = api.get("/v1/products", params={"category": 1, "limit": 200}).json
    assert goods["total"] > len(storage), "a category includes its subcategories"
    archived = api.get("/v1/products", params={"active": "false"}).json["items"]
    assert sorted(p["id"] for p in archived) == [48, 49] and not any(p["active"] for p in archived)
    assert api.get("/v1/products", params={"updated_since": "2999-01-01"}).json["total"] == 0


@pytest.mark.parametrize(("params", "field"), [
    ({"category": "furniture"}, "category"),
    ({"active": "sometimes"}, "active"),
    ({"limit": 500}, "limit"),
    ({"sku": ""}, "sku"),
    ({"price": "10"}, "price"),
])
def test_bad_filters_are_422_before_odoo(api, odoo_calls, params: dict, field: str) -> None:
    with odoo_calls() as calls:
        body = _problem(api.get("/v1/products", params=params), 422)
    assert field in _fields(body) and len(calls) == 0


def test_item_etag_and_404(api, assert_schema) -> None:
    response = api.get("/v1/products/5")
    assert_schema("Product", response.json)
    assert api.get("/v1/products/5", headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    assert _problem(api.get("/v1/products/99999999"), 404)["type"] == "/problems/not-found"


def test_stock_on_hand_and_forecast(api, assert_schema, odoo_calls) -> None:
    with odoo_calls() as calls:
        response = api.get("/v1/products/20/stock")
    stock = response.json
    assert_schema("Stock", stock)
    assert stock["product"] == {"id": 20, "name": stock["product"]["name"]}
    assert stock["on_hand"] == 500.0 and stock["locations"] is None
    assert calls.methods() == ["read"]


def test_stock_per_location(api, assert_schema, odoo_calls) -> None:
    with odoo_calls() as calls:
        stock = api.get("/v1/products/15/stock", params={"by_location": "true"}).json
    assert_schema("Stock", stock)
    by_location = {entry["location"]["id"]: entry for entry in stock["locations"]}
    assert set(by_location) == {5, 10}
    assert by_location[5]["on_hand"] == 50.0 and by_location[10]["on_hand"] == 15.0
    assert sum(entry["on_hand"] for entry in stock["locations"]) == stock["on_hand"]
    assert calls.methods() == ["read", "search_read"]
    reserved = api.get("/v1/products/20/stock", params={"by_location": "true"}).json["locations"]
    assert reserved == [{"location": reserved[0]["location"], "on_hand": 500.0, "reserved": 150.0,
                         "available": 350.0}]


def test_stock_of_a_missing_product_is_404(api) -> None:
    _problem(api.get("/v1/products/99999999/stock"), 404)
    assert "by_location" in _fields(_problem(api.get("/v1/products/5/stock", params={"by_location": "x"}), 422))


@pytest.mark.parametrize(("name", "status"), [
    ("odoo.exceptions.AccessError", 403),
    ("odoo.exceptions.UserError", 422),
    ("odoo.exceptions.MissingError", 404),
    ("psycopg2.OperationalError", 502),
])
@pytest.mark.parametrize(("method", "path"), [
    ("search_read", "/v1/products"),
    ("read", "/v1/products/5"),
    ("read", "/v1/products/5/stock"),
], ids=["list", "item", "stock"])
def test_odoo_faults_map_to_statuses(api, sandbox, name: str, status: int, method: str, path: str) -> None:
    sandbox.raise_error(name, "refused by Odoo", model="product.product", method=method)
    _problem(api.get(path), status)


def test_odoo_down_is_503(api, sandbox) -> None:
    api.get("/v1/products/5")
    sandbox.go_down()
    response = api.get("/v1/products")
    _problem(response, 503)
    assert response.headers["retry-after"]


def test_scope_products_read_is_needed(api) -> None:
    assert api.as_scopes("orders:read").get("/v1/products").status_code == 403
    assert api.as_scopes("products:read").get("/v1/products/5/stock").status_code == 200


# ---------------------------------------------------------------- NDJSON export

def _stream(app, headers: dict[str, str], query: str = "") -> tuple[int, int, list[int]]:
    """Drive the WSGI app like a server: iterate the body without keeping it. (lines, bytes, ids sample)."""
    environ = testing.create_environ(path="/v1/products", query_string=query, headers=headers)
    status: list[str] = []
    body = app(environ, lambda s, h, exc_info=None: status.append(s))
    lines = size = 0
    previous = 0
    increasing = True
    try:
        for chunk in body:
            size += len(chunk)
            for raw in chunk.splitlines():
                lines += 1
                current = int(raw[6:raw.index(b",")])  # b'{"id":123,...'
                increasing = increasing and current > previous
                previous = current
    finally:
        if hasattr(body, "close"):
            body.close()
    assert status and status[0].startswith("200"), status
    assert increasing
    return lines, size, [previous]


def _peak(app, headers: dict[str, str], query: str = "") -> tuple[int, int, int]:
    """(lines, bytes, peak traced memory) while streaming an export."""
    tracemalloc.start()
    try:
        lines, size, _ = _stream(app, headers, query)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return lines, size, peak


def test_ndjson_streams_thousands_with_flat_memory(big_app) -> None:
    """Memory is bounded by one chunk of 500: the full export (7 chunks) peaks like a 3-chunk one."""
    app, auth = big_app
    headers = {**auth, "Accept": "application/x-ndjson"}
    _stream(app, headers, "sku=GEN-000001")
    lines, size, peak = _peak(app, headers)
    part_lines, part_size, part_peak = _peak(app, headers, "category=4")
    assert lines == ACTIVE_PRODUCTS + 3000 and size > 600_000
    assert 1000 < part_lines < lines * 0.6
    assert peak < 1.3 * part_peak, f"{peak} bytes for {lines} records vs {part_peak} for {part_lines}"


def test_ndjson_reads_in_id_chunks(big_app, big_sandbox) -> None:
    app, auth = big_app
    big_sandbox.calls.clear()
    big_sandbox.received_headers.clear()
    response = testing.TestClient(app).simulate_get("/v1/products", headers={
        **auth, "Accept": "application/x-ndjson", "X-Request-Id": "export-run-1"})
    lines = ndjson_lines(response.content)
    assert len(lines) == ACTIVE_PRODUCTS + 3000 and len({line["id"] for line in lines}) == len(lines)
    reads = [entry for entry in list(big_sandbox.calls) if entry[1:] == ("product.product", "search_read")]
    assert len(reads) == (ACTIVE_PRODUCTS + 3000) // 500 + 1
    request_ids = [_header(headers, "X-Request-Id") for headers in big_sandbox.received_headers]
    assert request_ids[-len(reads):] == ["export-run-1"] * len(reads), "later chunks carry the request id too"


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)
