"""The endpoint builder over the JSON admin API: validation against Odoo, live serving, docs, history."""
from __future__ import annotations

import time

import pytest

from tests.auth.helpers import sql
from tests.fixtures.auth import bearer

COMPANIES = {
    "slug": "companies", "model": "res.partner", "description": "Our customer companies.",
    "fields": [{"odoo": "name", "name": "company_name"}, {"odoo": "email", "name": "email"},
               {"odoo": "country_id", "name": "country"}, {"odoo": "is_company", "name": "is_company"}],
    "domain": [["is_company", "=", True]], "order": "name asc", "max_page_size": 20,
    "operations": ["list", "get", "create", "update"], "scope": "companies:read", "cache_ttl": 0,
}


@pytest.fixture()
def companies(admin):
    saved = admin.post("/admin/api/endpoints", json=COMPANIES)
    assert saved.status_code == 201, saved.text
    return saved.json


def test_models_and_fields_are_live(admin):
    models = [item["model"] for item in admin.get("/admin/api/odoo/models").json["items"]]
    assert "res.partner" in models and "product.product" in models
    fields = {item["name"]: item for item in admin.get("/admin/api/odoo/models/res.partner/fields").json["items"]}
    assert fields["country_id"]["type"] == "many2one"


def test_invalid_definitions_are_refused(admin):
    bad_domain = admin.post("/admin/api/endpoints", json={**COMPANIES, "slug": "bad", "domain": [["nope", "=", 1]]})
    assert bad_domain.status_code == 422
    assert bad_domain.json["errors"][0]["field"] == "domain"
    bad = admin.post("/admin/api/endpoints", json={**COMPANIES, "slug": "Bad Slug", "scope": "",
                                                   "fields": [{"odoo": "nope"}], "operations": ["delete"]})
    assert {error["field"] for error in bad.json["errors"]} == {"slug", "fields.0.odoo", "operations", "scope"}
    assert admin.post("/admin/api/endpoints", json={**COMPANIES, "model": "no.such.model"}).json["errors"][0][
        "field"] == "model"
    assert admin.post("/admin/api/endpoints", json={**COMPANIES, "surprise": 1}).status_code == 422


def test_preview_is_a_live_sample(admin):
    preview = admin.post("/admin/api/endpoints/preview", json={**COMPANIES, "slug": "preview-only"})
    assert preview.status_code == 200, preview.text
    assert preview.json["items"] and set(preview.json["items"][0]) == {"id", "company_name", "email", "country",
                                                                       "is_company"}
    assert all(item["is_company"] for item in preview.json["items"])


def test_built_endpoint_serves_partners(client, admin, companies, make_client, token_for):
    token = token_for(make_client(["companies:read"]))
    page = client.simulate_get("/v1/x/companies", headers=bearer(token), params={"limit": 2})
    assert page.status_code == 200, page.text
    assert page.json["limit"] == 2 and len(page.json["items"]) == 2 and page.json["next"]
    first = page.json["items"][0]
    assert first["country"] is None or set(first["country"]) == {"id", "name"}
    item = client.simulate_get(f"/v1/x/companies/{first['id']}", headers=bearer(token))
    assert item.status_code == 200 and item.json == first and item.headers["etag"]

    assert client.simulate_get("/v1/x/companies", headers=bearer(token), params={"colour": "red"}).status_code == 422
    assert client.simulate_get("/v1/x/companies", headers=bearer(token), params={"limit": 21}).status_code == 422
    assert client.simulate_get("/v1/x/companies").status_code == 401
    other = token_for(make_client(["products:read"]))
    refused = client.simulate_get("/v1/x/companies", headers=bearer(other))
    assert refused.status_code == 403 and refused.json["required_scope"] == "companies:read"
    assert refused.headers["www-authenticate"] == \
        'Bearer realm="smn", error="insufficient_scope", scope="companies:read"'
    assert client.simulate_get("/v1/x/nothing-here", headers=bearer(token)).status_code == 404


def test_built_endpoint_writes_are_validated_and_idempotent(client, companies, make_client, token_for, sandbox):
    headers = {**bearer(token_for(make_client(["companies:read"]))), "Idempotency-Key": "built-create-1"}
    assert client.simulate_post("/v1/x/companies", headers=headers, json={"company_name": "X", "colour": 1}
                                ).status_code == 422
    created = client.simulate_post("/v1/x/companies", headers=headers,
                                   json={"company_name": "Builder Test Co", "is_company": True})
    assert created.status_code == 201, created.text
    again = client.simulate_post("/v1/x/companies", headers=headers,
                                 json={"company_name": "Builder Test Co", "is_company": True})
    assert again.json == created.json and again.headers.get("idempotent-replayed") == "true"
    record_id = created.json["id"]
    assert created.headers["location"].endswith(f"/v1/x/companies/{record_id}")
    patched = client.simulate_patch(f"/v1/x/companies/{record_id}", headers=bearer(headers["Authorization"][7:]),
                                    json={"email": "hello@builder.example"})
    assert patched.status_code == 200 and patched.json["email"] == "hello@builder.example"


def test_openapi_documents_each_slug(client, companies):
    document = client.simulate_get("/openapi.json").json
    assert set(document["paths"]["/v1/x/companies"]) == {"get", "post", "parameters"} or \
        {"get", "post"} <= set(document["paths"]["/v1/x/companies"])
    assert {"get", "patch"} <= set(document["paths"]["/v1/x/companies/{record_id}"])
    schema = document["components"]["schemas"]["BuiltCompanies"]
    assert set(schema["properties"]) == {"id", "company_name", "email", "country", "is_company"}
    assert document["paths"]["/v1/x/{slug}"]["get"]["tags"] == ["Built endpoints"]


def test_disable_history_and_rollback(client, admin, companies, make_client, token_for, database_url):
    token = token_for(make_client(["companies:read"]))
    narrower = admin.post("/admin/api/endpoints", json={**COMPANIES, "operations": ["list"]})
    assert narrower.json["version"] == companies["version"] + 1
    assert client.simulate_get("/v1/x/companies/1", headers=bearer(token)).status_code == 405
    unknown = admin.post("/admin/api/endpoints/companies/delete")
    assert unknown.status_code == 404 and "disable, enable" in unknown.json["detail"]
    assert admin.post("/admin/api/endpoints/companies/disable").json["enabled"] is False
    assert client.simulate_get("/v1/x/companies", headers=bearer(token)).status_code == 404
    assert "/v1/x/companies" not in client.simulate_get("/openapi.json").json["paths"]
    rolled = admin.post(f"/admin/api/endpoints/companies/rollback/{companies['version']}")
    assert rolled.status_code == 200 and rolled.json["enabled"] is True
    assert client.simulate_get("/v1/x/companies/1", headers=bearer(token)).status_code in (200, 404)
    versions = admin.get("/admin/api/endpoints/companies").json["versions"]
    assert [v["note"] for v in versions[:3]] == [f"rolled back to v{companies['version']}", "disabled", None]
    actions = [row[0] for row in sql(database_url, "SELECT action FROM admin_audit WHERE actor = %s",
                                     (admin.username,))]
    assert {"endpoint.save", "endpoint.disable", "endpoint.rollback"} <= set(actions)


def test_other_processes_see_changes_through_notify(services, companies, admin):
    """A second registry (another worker) learns a disable via LISTEN/NOTIFY within a second."""
    from smn.builder.registry import EndpointRegistry
    from smn.builder.store import DefinitionStore

    other = EndpointRegistry(DefinitionStore(services.database), resync_interval=3600)
    try:
        assert other.get("companies") is not None
        admin.post("/admin/api/endpoints/companies/disable")
        deadline = time.monotonic() + 5
        while other.get("companies") is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.get("companies") is None
    finally:
        other.close()
        admin.post("/admin/api/endpoints/companies/enable")
