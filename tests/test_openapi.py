"""The OpenAPI document: valid, complete, exactly the responders each resource defines."""
from __future__ import annotations

import falcon
import falcon.inspect
import pytest
import yaml
from falcon import testing
from openapi_spec_validator import validate

import smn
from smn.openapi import build_spec, invalidate_spec, iter_routes, openapi_path, spec_yaml
from smn.settings import Settings

PUBLIC_PATHS = {"/healthz", "/readyz", "/openapi.json", "/docs", "/static/redoc.standalone.js"}


class WidgetResource:
    """A collection and its items on one resource, the item route added with suffix="item"."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List widgets.
        ---
        tags: [Widgets]
        responses:
          200: {description: The widgets.}
        """

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a widget."""

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, widget_id: int) -> None:
        """Read one widget.
        ---
        responses:
          200: {description: The widget.}
          404:
            description: No such widget.
            content:
              application/problem+json:
                schema: {$ref: '#/components/schemas/Problem'}
        """

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, widget_id: int) -> None:
        """Delete one widget."""


class PingResource:
    auth = {"public": True}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Ping, public by its class attribute alone."""


@pytest.fixture()
def widget_app() -> falcon.App:
    app = falcon.App()
    widgets = WidgetResource()
    app.add_route("/widgets", widgets)
    app.add_route("/widgets/{widget_id:int}", widgets, suffix="item")
    app.add_route("/ping", PingResource())
    return app


@pytest.fixture()
def plain_settings() -> Settings:
    return Settings.from_env({})


@pytest.fixture()
def spec(app: falcon.App, settings: Settings) -> dict:
    return build_spec(app, settings)


def methods_of(path_item: dict) -> set[str]:
    return {key for key in path_item if key in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}}


def test_document_is_valid_openapi_3_1(spec: dict) -> None:
    validate(spec)
    assert spec["openapi"] == "3.1.0"


def test_every_route_appears_with_exactly_the_methods_its_resource_defines(app: falcon.App, spec: dict) -> None:
    """Falcon's own inspector is the oracle: its non-internal methods are the resource's responders."""
    expected = {
        openapi_path(route.path): {method.method.lower() for method in route.methods if not method.internal}
        for route in falcon.inspect.inspect_routes(app)
    }
    documented = {path: methods_of(item) for path, item in spec["paths"].items()}
    assert documented == expected
    assert PUBLIC_PATHS <= documented.keys()


def test_no_falcon_default_responders_are_documented(spec: dict) -> None:
    for path, item in spec["paths"].items():
        assert "options" not in item, path
        assert not {"connect", "propfind", "websocket", "lock"} & set(item), path


def test_suffixed_responders_are_documented_on_their_own_path(widget_app: falcon.App,
                                                              plain_settings: Settings) -> None:
    document = build_spec(widget_app, plain_settings)
    validate(document)
    paths = document["paths"]
    assert {path: methods_of(item) for path, item in paths.items()} == {
        "/widgets": {"get", "post"},
        "/widgets/{widget_id}": {"get", "delete"},
        "/ping": {"get"},
    }
    assert paths["/widgets/{widget_id}"]["parameters"] == [
        {"name": "widget_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    assert paths["/widgets/{widget_id}"]["get"]["summary"] == "Read one widget."
    assert "404" in paths["/widgets/{widget_id}"]["get"]["responses"]
    assert paths["/widgets"]["post"]["summary"] == "Create a widget."
    assert {"name": "Widgets"} in document["tags"]


def test_bearer_auth_is_the_global_default(widget_app: falcon.App, plain_settings: Settings) -> None:
    document = build_spec(widget_app, plain_settings)
    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"]}
    secured = document["paths"]["/widgets"]["get"]
    assert "security" not in secured
    assert secured["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
    public = document["paths"]["/ping"]["get"]
    assert public["security"] == []
    assert "401" not in public["responses"]


def test_public_routes_have_empty_security(app: falcon.App, spec: dict) -> None:
    public_paths = {openapi_path(route.uri_template) for route in iter_routes(app)
                    if getattr(route.resource, "auth", {}).get("public")}
    assert PUBLIC_PATHS <= public_paths
    for path in public_paths:
        for method in methods_of(spec["paths"][path]):
            assert spec["paths"][path][method]["security"] == [], f"{method.upper()} {path}"


def test_shared_schemas_are_components_with_examples(spec: dict) -> None:
    schemas = spec["components"]["schemas"]
    problem = schemas["Problem"]["properties"]
    assert set(problem) == {"type", "title", "status", "detail", "request_id", "errors"}
    assert problem["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["properties"]) == {"field", "message"}
    assert schemas["Health"]["properties"]["status"]["example"] == "ok"
    assert schemas["Readiness"]["properties"]["checks"]["example"] == {"postgresql": "ok", "odoo": "ok"}
    for name in ("Problem", "FieldError", "Health", "Readiness"):
        assert all("example" in field for field in schemas[name]["properties"].values()
                   if field.get("type") != "array"), name


def test_info_speaks_to_partners(spec: dict) -> None:
    info = spec["info"]
    assert info["title"] == "SMN API"
    assert info["version"] == smn.__version__
    for topic in ("Odoo", "Authorization: Bearer", "X-Request-Id", "application/problem+json"):
        assert topic in info["description"]
    tags = {tag["name"]: tag for tag in spec["tags"]}
    assert tags["Operations"]["description"] and tags["Documentation"]["description"]


def test_openapi_json_is_served(client: testing.TestClient, spec: dict) -> None:
    result = client.simulate_get("/openapi.json")
    assert result.status_code == 200
    assert result.headers["content-type"] == "application/json"
    assert result.json == spec


def test_openapi_json_answers_304_to_its_etag(client: testing.TestClient) -> None:
    first = client.simulate_get("/openapi.json")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.simulate_get("/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = client.simulate_get("/openapi.json", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.json == first.json


def test_spec_is_cached_until_invalidated(widget_app: falcon.App, plain_settings: Settings) -> None:
    first = build_spec(widget_app, plain_settings)
    first["paths"].clear()
    widget_app.add_route("/late", PingResource())
    assert "/late" not in build_spec(widget_app, plain_settings)["paths"]
    assert "/widgets" in build_spec(widget_app, plain_settings)["paths"]
    invalidate_spec(widget_app)
    assert "/late" in build_spec(widget_app, plain_settings)["paths"]


def test_spec_yaml_is_the_same_document(widget_app: falcon.App, plain_settings: Settings) -> None:
    text = spec_yaml(widget_app, plain_settings)
    assert text.startswith("openapi: 3.1.0\n")
    assert yaml.safe_load(text) == build_spec(widget_app, plain_settings)
