"""OpenAPI for built endpoints: one path per live slug, with a record schema generated from its fields."""
from __future__ import annotations

from typing import Any

from smn.builder.definitions import Definition, FieldSpec

TAG = "Built endpoints"
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_TYPES: dict[str, dict[str, Any]] = {
    "char": {"type": ["string", "null"]}, "text": {"type": ["string", "null"]}, "html": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]}, "float": {"type": ["number", "null"]},
    "monetary": {"type": ["number", "null"]}, "boolean": {"type": "boolean"},
    "date": {"type": ["string", "null"], "format": "date"},
    "datetime": {"type": ["string", "null"], "format": "date-time"},
    "one2many": {"type": "array", "items": {"type": "integer"}},
    "many2many": {"type": "array", "items": {"type": "integer"}},
}
_MANY2ONE = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}},
             "required": ["id", "name"]}


def schema_name(definition: Definition) -> str:
    return "Built" + "".join(part.capitalize() for part in definition.slug.split("-"))


def field_schema(spec: FieldSpec, write: bool = False) -> dict[str, Any]:
    if spec.type == "many2one":
        return {"type": ["integer", "null"], "description": "Id of the linked record."} if write else dict(_MANY2ONE)
    schema = dict(_TYPES.get(spec.type, {"type": ["string", "null"]}))
    if spec.type == "selection":
        schema = {"type": ["string", "null"], "enum": [*spec.selection, None]}
    return schema


def record_schema(definition: Definition) -> dict[str, Any]:
    properties = {"id": {"type": "integer"}}
    properties.update({spec.name: field_schema(spec) for spec in definition.fields})
    return {"type": "object", "properties": properties, "required": list(properties)}


def body_schema(definition: Definition) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {spec.name: field_schema(spec, write=True) for spec in definition.fields if spec.writable}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "The body is not JSON.", 403: "The token lacks the endpoint's scope.", 404: "No such record.",
            422: "Unknown or invalid parameters or fields, or Odoo rejected the change.",
            503: "Odoo is unreachable; retry after Retry-After seconds."}
    return {str(status): {"description": text[status], "content": _PROBLEM} for status in statuses}


def _idempotency() -> dict[str, Any]:
    return {"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
            "description": "Retry-safe key; the same key and body return the first response."}


def collection_operations(definition: Definition, ref: dict[str, str]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    about = definition.description or f"Records of {definition.model}."
    scope = f" Needs scope `{definition.scope}`."
    if "list" in definition.operations:
        page = {"type": "object", "required": ["items", "total", "limit", "offset", "next"], "properties": {
            "items": {"type": "array", "items": ref}, "total": {"type": "integer"}, "limit": {"type": "integer"},
            "offset": {"type": "integer"}, "next": {"type": ["string", "null"]}}}
        operations["get"] = {
            "summary": f"List {definition.slug}", "description": about + scope, "tags": [TAG],
            "parameters": [
                {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1,
                                                            "maximum": definition.max_page_size}},
                {"in": "query", "name": "offset", "schema": {"type": "integer", "minimum": 0}}],
            "responses": {"200": {"description": "A page of records.", "content": _json(page)},
                          "401": {"$ref": "#/components/responses/Unauthorized"}, **_errors(403, 422, 503)}}
    if "create" in definition.operations:
        operations["post"] = {
            "summary": f"Create in {definition.slug}", "description": about + scope, "tags": [TAG],
            "parameters": [_idempotency()],
            "requestBody": {"required": True, "content": _json(body_schema(definition))},
            "responses": {"201": {"description": "Created; Location names it.", "content": _json(ref)},
                          "401": {"$ref": "#/components/responses/Unauthorized"}, **_errors(400, 403, 422, 503)}}
    return operations


def item_operations(definition: Definition, ref: dict[str, str]) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    scope = f" Needs scope `{definition.scope}`."
    if "get" in definition.operations:
        operations["get"] = {
            "summary": f"Read one of {definition.slug}", "description": "One record." + scope, "tags": [TAG],
            "responses": {"200": {"description": "The record.", "content": _json(ref)},
                          "401": {"$ref": "#/components/responses/Unauthorized"}, **_errors(403, 404, 503)}}
    if "update" in definition.operations:
        operations["patch"] = {
            "summary": f"Update one of {definition.slug}", "description": "Send only what changes." + scope,
            "tags": [TAG], "parameters": [_idempotency()],
            "requestBody": {"required": True, "content": _json(body_schema(definition))},
            "responses": {"200": {"description": "The record after the change.", "content": _json(ref)},
                          "401": {"$ref": "#/components/responses/Unauthorized"},
                          **_errors(400, 403, 404, 422, 503)}}
    return operations


def document_endpoints(spec: Any, definitions: list[Definition], item: bool) -> None:
    """Add each definition's collection (or item) path and its record schema to an apispec APISpec."""
    for definition in definitions:
        name = schema_name(definition)
        if name not in spec.components.schemas:
            spec.components.schema(name, record_schema(definition))
        ref = {"$ref": f"#/components/schemas/{name}"}
        if item:
            operations = item_operations(definition, ref)
            path = f"/v1/x/{definition.slug}/{{record_id}}"
            parameters = [{"in": "path", "name": "record_id", "required": True, "schema": {"type": "integer"}}]
        else:
            operations = collection_operations(definition, ref)
            path, parameters = f"/v1/x/{definition.slug}", []
        if operations:
            spec.path(path=path, operations=operations, parameters=parameters or None)


def document_generic(spec: Any, uri_template: str, item: bool) -> None:
    """The catch-all route itself: any built endpoint, whose own path (below) says what it serves."""
    from smn.openapi import openapi_path

    ops = ("get", "patch") if item else ("get", "post")
    summaries = {"get": "Read one record of a built endpoint" if item else "List a built endpoint",
                 "post": "Create in a built endpoint", "patch": "Update a record of a built endpoint"}
    parameters = [{"in": "path", "name": "slug", "required": True, "schema": {"type": "string"}}]
    if item:
        parameters.append({"in": "path", "name": "record_id", "required": True, "schema": {"type": "integer"}})
    operations = {op: {"summary": summaries[op], "tags": [TAG],
                       "description": "Endpoints defined in the admin UI's builder; each live one is listed "
                                      "with its own path and schema. Unknown slugs answer 404.",
                       "responses": {"default": {"description": "See the endpoint's own path.",
                                                 "content": _json({"type": "object"})},
                                     "401": {"$ref": "#/components/responses/Unauthorized"}}}
                  for op in ops}
    spec.path(path=openapi_path(uri_template), operations=operations, parameters=parameters)
