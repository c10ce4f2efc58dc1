"""/v1/x/{slug} and /v1/x/{slug}/{record_id}: every built endpoint, served by one resource.

The resource looks the slug up in this worker's registry on each request, so
a saved definition is live without a restart and a disabled one answers 404.
Built endpoints share the hand-written resources' plumbing: partner JWT (the
AuthMiddleware) plus the definition's scope, strict input (unknown query
parameters and body members are 422), problem+json errors, request ids and
Idempotency-Key on writes.
"""
from __future__ import annotations

from typing import Any, Callable

import falcon
from marshmallow import RAISE, Schema, fields, validate

from smn.auth.scopes import check_scopes
from smn.builder.definitions import Definition, FieldSpec
from smn.builder.registry import EndpointRegistry
from smn.cache.fresh import FreshCache
from smn.errors import Problem
from smn.idempotency import record_write
from smn.odoo.client import OdooClient
from smn.odoo.mapping import to_odoo_datetime
from smn.pagination import PageRequest, read_page
from smn.resources.partner_base import (
    PartnerApiContext,
    json_reply,
    load,
    parse_query,
    read_json,
    require_object,
    send_etagged,
    send_page,
)
from smn.schemas.pagination import JsonBoolean, JsonInteger, JsonNumber, utc_datetime

PREFIX = "/v1/x"
_CACHE_ENTRIES = 512
_NO_QUERY = Schema.from_dict({}, name="BuiltItemQuery")(unknown=RAISE)


def body_field(spec: FieldSpec) -> fields.Field:
    """The marshmallow field that checks a partner's value for `spec` (None clears it)."""
    if spec.type in ("integer", "many2one"):
        return JsonInteger(allow_none=True)
    if spec.type in ("float", "monetary"):
        return JsonNumber(allow_none=True)
    if spec.type == "boolean":
        return JsonBoolean()
    if spec.type == "date":
        return fields.Date(allow_none=True)
    if spec.type == "datetime":
        return utc_datetime(spec.name)
    if spec.type == "selection":
        return fields.String(allow_none=True, validate=validate.OneOf(spec.selection))
    return fields.String(allow_none=True, validate=validate.Length(max=10_000))


def body_schema(definition: Definition) -> Schema:
    members = {spec.name: body_field(spec) for spec in definition.fields if spec.writable}
    return Schema.from_dict(members, name=f"Built_{definition.slug}_body")(unknown=RAISE)


def query_schema(definition: Definition) -> Schema:
    members = {
        "limit": fields.Integer(load_default=min(50, definition.max_page_size),
                                validate=validate.Range(1, definition.max_page_size)),
        "offset": fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000)),
    }
    return Schema.from_dict(members, name=f"Built_{definition.slug}_query")(unknown=RAISE)


def to_odoo(definition: Definition, data: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name, value in data.items():
        spec = definition.fields_by_name[name]
        if value is None:
            value = False
        elif spec.type == "datetime":
            value = to_odoo_datetime(value)
        elif spec.type == "date":
            value = value.isoformat()
        values[spec.odoo] = value
    return values


class BuiltEndpointResource:
    """Serves whatever the registry holds; documents each live slug in /openapi.json."""

    def __init__(self, registry: EndpointRegistry, odoo: OdooClient, api: PartnerApiContext) -> None:
        self.registry = registry
        self.odoo = odoo
        self.api = api
        # Reads of definitions with a cache_ttl, per worker, keyed by slug, version and request.
        self.cache: FreshCache[Any] = FreshCache(_CACHE_ENTRIES)
        self._schemas: dict[tuple[str, int], tuple[Schema, Schema]] = {}

    # -- lookups -----------------------------------------------------------------

    def _definition(self, req: falcon.Request, slug: str, operation: str) -> Definition:
        definition = self.registry.get(slug)
        if definition is None:
            raise Problem(404, f"There is no endpoint {PREFIX}/{slug}.", slug="not-found")
        check_scopes(req, (definition.scope,), definition.scope)
        if operation not in definition.operations:
            allowed = self._allowed(definition, item=operation in ("get", "update"))
            raise falcon.HTTPMethodNotAllowed(allowed)
        return definition

    @staticmethod
    def _allowed(definition: Definition, item: bool) -> list[str]:
        ops = definition.operations
        if item:
            return [m for m, op in (("GET", "get"), ("PATCH", "update")) if op in ops]
        return [m for m, op in (("GET", "list"), ("POST", "create")) if op in ops]

    def _schemas_for(self, definition: Definition) -> tuple[Schema, Schema]:
        key = (definition.slug, definition.version)
        schemas = self._schemas.get(key)
        if schemas is None:
            schemas = (query_schema(definition), body_schema(definition))
            self._schemas = {k: v for k, v in self._schemas.items() if k[0] != definition.slug}
            self._schemas[key] = schemas
        return schemas

    def _read_one(self, definition: Definition, record_id: int) -> dict[str, Any]:
        rows = self.odoo.search_read(definition.model, [["id", "=", record_id], *definition.domain],
                                     definition.odoo_fields, limit=1)
        if not rows:
            raise Problem(404, f"No record {record_id} at {PREFIX}/{definition.slug}.", slug="not-found")
        return definition.record(rows[0])

    def _cached(self, definition: Definition, key: tuple, produce: Callable[[], Any]) -> Any:
        if not definition.cache_ttl:
            return produce()
        full_key = (definition.slug, definition.version, *key)
        hit = self.cache.get(full_key)
        if hit is not None:
            return hit[0]
        value = produce()
        self.cache.put(full_key, value, definition.cache_ttl)
        return value

    # -- responders --------------------------------------------------------------

    def _through_reads(self, req: falcon.Request, resp: falcon.Response, slug: str, produce) -> None:
        """Last-known-good copies when Odoo is down, like the hand-written reads (smn.cache)."""
        if self.api.reads is None:
            produce()
        else:
            self.api.reads.serve(f"x:{slug}", req, resp, produce)

    def on_get(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        definition = self._definition(req, slug, "list")
        self._through_reads(req, resp, slug, lambda: self._list(req, resp, definition))

    def _list(self, req: falcon.Request, resp: falcon.Response, definition: Definition) -> None:
        query = parse_query(req, self._schemas_for(definition)[0])
        page_request = PageRequest(limit=query["limit"], offset=query["offset"])
        page = self._cached(definition, ("list", page_request.limit, page_request.offset), lambda: read_page(
            self.odoo, definition.model, list(definition.domain), definition.odoo_fields, page_request,
            order=definition.order))
        send_page(req, resp, self.api.settings, page, [definition.record(row) for row in page.records])
        if definition.cache_ttl:
            resp.cache_control = ["private", f"max-age={definition.cache_ttl}"]

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, slug: str, record_id: int) -> None:
        definition = self._definition(req, slug, "get")
        parse_query(req, _NO_QUERY)
        self._through_reads(req, resp, slug, lambda: send_etagged(req, resp, self._cached(
            definition, ("get", record_id), lambda: self._read_one(definition, record_id))))

    def on_post(self, req: falcon.Request, resp: falcon.Response, slug: str) -> None:
        definition = self._definition(req, slug, "create")
        body = require_object(read_json(req, self.api.max_body_bytes))
        data = load(self._schemas_for(definition)[1], body)

        def create():
            record_id = self.odoo.create(definition.model, to_odoo(definition, data))
            record_write()
            record = self._read_one(definition, record_id)
            return json_reply(record, 201, {"Location": self.api.link(f"{PREFIX}/{slug}/{record_id}")})

        self.api.writer.run(req, resp, body, create)

    def on_patch_item(self, req: falcon.Request, resp: falcon.Response, slug: str, record_id: int) -> None:
        definition = self._definition(req, slug, "update")
        body = require_object(read_json(req, self.api.max_body_bytes))
        data = load(self._schemas_for(definition)[1], body)

        def update():
            self._read_one(definition, record_id)
            if data:
                self.odoo.write(definition.model, record_id, to_odoo(definition, data))
                record_write()
            return json_reply(self._read_one(definition, record_id))

        self.api.writer.run(req, resp, body, update)

    def openapi_paths(self, spec: Any, route: Any) -> None:
        """Called by smn.openapi: the generic route, then one documented path per live slug."""
        from smn.builder.schema import document_endpoints, document_generic

        item = route.uri_template.count("{") == 2
        document_generic(spec, route.uri_template, item)
        document_endpoints(spec, self.registry.all(), item=item)
