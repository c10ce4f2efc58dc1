"""/v1/partners against the Odoo stand-in over HTTP."""
from __future__ import annotations

import uuid

import pytest

from tests.fixtures.partner_api import ndjson_lines



@pytest.fixture()
def active_partners(services) -> int:
    """Active partners in the session's stand-in now: other tests may have created some."""
    return services.odoo.search_count("res.partner", [])


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["request_id"] and "Traceback" not in response.text
    return body


def _fields(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


# ---------------------------------------------------------------- list

def test_first_page_has_total_and_next_link(api, assert_schema, active_partners) -> None:
    response = api.get("/v1/partners", params={"limit": 10})
    assert response.status_code == 200
    body = response.json
    assert_schema("PartnerPage", body)
    assert body["total"] == active_partners and body["limit"] == 10 and body["offset"] == 0
    assert len(body["items"]) == 10
    assert body["next"] == "/v1/partners?limit=10&offset=10"
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids)


def test_following_next_walks_every_partner_once(api, active_partners) -> None:
    seen: list[int] = []
    url = "/v1/partners?limit=15"
    while url:
        path, _, query = url.partition("?")
        body = api.get(path, query_string=query).json
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == active_partners


def test_next_link_keeps_the_filters(api) -> None:
    body = api.get("/v1/partners", params={"is_company": "true", "limit": 2}).json
    assert body["next"] == "/v1/partners?is_company=true&limit=2&offset=2"


def test_offset_past_the_end_is_an_empty_page(api, odoo_calls, active_partners) -> None:
    with odoo_calls() as calls:
        body = api.get("/v1/partners", params={"offset": 1000}).json
    assert body["items"] == [] and body["total"] == active_partners and body["next"] is None
    assert calls.methods() == ["search_read", "search_count"]


def test_a_page_that_is_not_full_costs_one_odoo_call(api, odoo_calls, active_partners) -> None:
    with odoo_calls() as calls:
        body = api.get("/v1/partners", params={"limit": 200}).json
    assert body["total"] == active_partners and body["next"] is None
    assert calls.methods() == ["search_read"]


def test_a_full_page_also_counts(api, odoo_calls) -> None:
    with odoo_calls() as calls:
        api.get("/v1/partners", params={"limit": 5, "offset": 5})
    assert calls.methods() == ["search_read", "search_count"]


def test_search_over_name_email_and_ref(api) -> None:
    by_name = api.get("/v1/partners", params={"q": "acme"}).json["items"]
    assert "Acme Corporation" in [item["name"] for item in by_name]
    by_ref = api.get("/v1/partners", params={"q": "DECO"}).json["items"]
    assert [item["ref"] for item in by_ref] == ["DECO"]
    by_email = api.get("/v1/partners", params={"q": "bonjour@lumiere"}).json["items"]
    assert [item["name"] for item in by_email] == ["Atelier Lumière"]


def test_is_company_and_updated_since_filters(api, active_partners) -> None:
    companies = api.get("/v1/partners", params={"is_company": "true", "limit": 200}).json
    people = api.get("/v1/partners", params={"is_company": "false", "limit": 200}).json
    assert companies["items"] and all(item["is_company"] for item in companies["items"])
    assert companies["total"] + people["total"] == active_partners
    future = api.get("/v1/partners", params={"updated_since": "2999-01-01T00:00:00Z"}).json
    assert future == {"items": [], "total": 0, "limit": 50, "offset": 0, "next": None}


def test_partner_shape_is_partner_facing(api) -> None:
    acme = api.get("/v1/partners", params={"q": "Acme Corporation"}).json["items"][0]
    assert acme["country"] == {"id": 233, "name": "United States"}
    assert acme["company"] is None
    assert acme["updated_at"].endswith("Z") and "T" in acme["updated_at"]
    assert "country_id" not in acme and "write_date" not in acme


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"),
    ({"is_company": "maybe"}, "is_company"),
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"colour": "red"}, "colour"),
])
def test_bad_query_parameters_are_422_before_odoo(api, odoo_calls, params: dict, field: str) -> None:
    with odoo_calls() as calls:
        response = api.get("/v1/partners", params=params)
    body = _problem(response, 422)
    assert body["type"] == "/problems/validation-error" and field in _fields(body)
    assert len(calls) == 0


def test_ndjson_export_streams_every_match(api) -> None:
    response = api.get("/v1/partners", headers={"Accept": "application/x-ndjson"}, params={"is_company": "true"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-ndjson"
    lines = ndjson_lines(response.content)
    total = api.get("/v1/partners", params={"is_company": "true"}).json["total"]
    assert len(lines) == total and all(line["is_company"] for line in lines)


def test_ndjson_export_refuses_paging(api) -> None:
    response = api.get("/v1/partners", headers={"Accept": "application/x-ndjson"}, params={"limit": 5})
    assert "limit" in _fields(_problem(response, 422))


# ---------------------------------------------------------------- item

def test_read_one_with_etag_and_304(api, assert_schema) -> None:
    response = api.get("/v1/partners/9")
    assert response.status_code == 200
    assert_schema("Partner", response.json)
    assert response.json["ref"] == "ACME"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    again = api.get("/v1/partners/9", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert api.get("/v1/partners/10", headers={"If-None-Match": etag}).status_code == 200


def test_unknown_partner_is_404(api) -> None:
    assert _problem(api.get("/v1/partners/99999999"), 404)["type"] == "/problems/not-found"
    assert api.get("/v1/partners/0").status_code == 404
    assert api.get("/v1/partners/abc").status_code == 404


# ---------------------------------------------------------------- create and update

def _new_partner(**extra) -> dict:
    return {"name": f"Partner {uuid.uuid4().hex[:8]}", **extra}


def test_create_returns_201_location_and_the_partner(api, assert_schema) -> None:
    body = _new_partner(email="buyer@example.com", country_code="be", is_company=True, ref="NEW-1")
    response = api.post("/v1/partners", body)
    assert response.status_code == 201, response.text
    created = response.json
    assert_schema("Partner", created)
    assert response.headers["location"] == f"/v1/partners/{created['id']}"
    assert created["country"] == {"id": 21, "name": "Belgium"} and created["email"] == "buyer@example.com"
    assert api.get(response.headers["location"]).json == created


def test_create_contact_of_a_company(api) -> None:
    created = api.post("/v1/partners", _new_partner(company_id=9)).json
    assert created["company"] == {"id": 9, "name": "Acme Corporation"}
    response = api.post("/v1/partners", _new_partner(company_id=99999999))
    assert "company_id" in _fields(_problem(response, 422))


@pytest.mark.parametrize(("body", "field"), [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": 42}, "name"),
    ({"name": "X", "is_company": "yes"}, "is_company"),
    ({"name": "X", "email": "not-an-email"}, "email"),
    ({"name": "X", "country_code": "Belgium"}, "country_code"),
    ({"name": "X", "company_id": "9"}, "company_id"),
    ({"name": "X", "nickname": "x"}, "nickname"),
])
def test_invalid_bodies_are_422_before_odoo(api, odoo_calls, body: dict, field: str) -> None:
    with odoo_calls() as calls:
        response = api.post("/v1/partners", body)
    assert field in _fields(_problem(response, 422))
    assert len(calls) == 0


def test_unknown_country_code_is_a_field_error(api) -> None:
    assert "country_code" in _fields(_problem(api.post("/v1/partners", _new_partner(country_code="ZZ")), 422))


def test_body_must_be_a_json_object(api) -> None:
    assert _problem(api.post("/v1/partners", [{"name": "X"}]), 422)["errors"][0]["field"] == "body"


def test_malformed_json_is_400(api) -> None:
    response = api.post("/v1/partners", body='{"name": ', headers={"Content-Type": "application/json"})
    assert _problem(response, 400)["type"] == "/problems/malformed-json"


def test_wrong_content_type_is_415(api) -> None:
    response = api.post("/v1/partners", body="name=X", headers={"Content-Type": "application/x-www-form-urlencoded"})
    _problem(response, 415)


def test_oversized_body_is_413(api, settings) -> None:
    huge = '{"name": "' + "x" * settings.max_body_bytes + '"}'
    response = api.post("/v1/partners", body=huge, headers={"Content-Type": "application/json"})
    _problem(response, 413)


def test_update_changes_and_clears_fields(api) -> None:
    partner = api.post("/v1/partners", _new_partner(phone="+1 555-0100", city="Springfield")).json
    response = api.patch(f"/v1/partners/{partner['id']}", {"phone": None, "city": "Shelbyville"})
    assert response.status_code == 200, response.text
    assert response.json["phone"] is None and response.json["city"] == "Shelbyville"
    assert response.json["name"] == partner["name"]


def test_update_of_a_missing_partner_is_404(api) -> None:
    _problem(api.patch("/v1/partners/99999999", {"city": "Nowhere"}), 404)


def test_update_validates_like_create(api, odoo_calls) -> None:
    with odoo_calls() as calls:
        response = api.patch("/v1/partners/9", {"name": ""})
    assert "name" in _fields(_problem(response, 422)) and len(calls) == 0


def test_create_with_idempotency_key_creates_once(api, odoo_calls) -> None:
    headers = {"Idempotency-Key": f"partner-{uuid.uuid4()}"}
    body = _new_partner()
    first = api.post("/v1/partners", body, headers=headers)
    with odoo_calls() as calls:
        second = api.post("/v1/partners", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json and second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert len(calls) == 0
    other = api.post("/v1/partners", _new_partner(), headers=headers)
    assert _problem(other, 422)["type"] == "/problems/idempotency-key-reused"


# ---------------------------------------------------------------- Odoo faults and scopes

@pytest.mark.parametrize(("name", "status"), [
    ("odoo.exceptions.ValidationError", 422),
    ("odoo.exceptions.UserError", 422),
    ("odoo.exceptions.AccessError", 403),
    ("odoo.exceptions.MissingError", 404),
    ("builtins.ValueError", 502),
])
@pytest.mark.parametrize(("method", "call"), [
    ("search_read", lambda api: api.get("/v1/partners")),
    ("read", lambda api: api.get("/v1/partners/9")),
    ("create", lambda api: api.post("/v1/partners", _new_partner())),
    ("write", lambda api: api.patch("/v1/partners/9", {"city": "Springfield"})),
], ids=["list", "item", "create", "update"])
def test_odoo_faults_map_to_statuses(api, sandbox, name: str, status: int, method: str, call) -> None:
    sandbox.raise_error(name, "Odoo says no: Partner is locked", model="res.partner", method=method)
    body = _problem(call(api), status)
    if status in (403, 404, 422):
        assert body["detail"] == "Odoo says no: Partner is locked"
    else:
        assert "Partner is locked" not in body["detail"]


def test_odoo_down_is_503_with_retry_after(api, sandbox) -> None:
    api.get("/v1/partners/9")
    sandbox.go_down()
    response = api.get("/v1/partners/10")  # never read, so no last-known-good copy (docs/availability.md)
    assert _problem(response, 503)["type"] == "/problems/odoo-unavailable"
    assert response.headers["retry-after"]


def test_scopes_are_enforced(api) -> None:
    reader = api.as_scopes("partners:read")
    assert reader.get("/v1/partners/9").status_code == 200
    assert reader.post("/v1/partners", _new_partner()).status_code == 403
    assert reader.patch("/v1/partners/9", {"city": "X"}).status_code == 403
    assert api.as_scopes("products:read").get("/v1/partners").status_code == 403
    assert api.client.simulate_get("/v1/partners").status_code == 401
