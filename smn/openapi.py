"""The OpenAPI 3.1 document, built from the app's own routes and responder docstrings.

Every route registered on the Falcon app is documented: each responder the
resource's class defines (``on_get``, ``on_post_item``...) becomes one
operation, described by the YAML after ``---`` in its docstring.

falcon-apispec 0.4.0 cannot do this on Falcon 4: it documents every entry of
a route's method map, including the default responders Falcon fills in
(OPTIONS, and the 405 responder for CONNECT, PROPFIND, WEBSOCKET...), so
apispec rejects the path ("One or more HTTP methods are invalid", upstream
issues #33 and #36). It also keys routes by resource, so a resource mounted
twice (``suffix=``) loses one of its paths. `ResponderPlugin` keeps the
plugin but documents one router node at a time, and only its own responders.
"""
from __future__ import annotations

import copy
import hashlib
import inspect
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator

import falcon
import yaml
from apispec import APISpec, yaml_utils
from apispec.ext.marshmallow import MarshmallowPlugin
from falcon_apispec import FalconPlugin

import smn
from smn.schemas.common import (
    FieldErrorSchema,
    HealthSchema,
    ProblemSchema,
    ReadinessSchema,
)
from smn.schemas.jobs import JobAcceptedSchema
from smn.settings import Settings

OPENAPI_VERSION = "3.1.0"
TITLE = "SMN API"
BEARER_SCHEME = "bearerAuth"
SHARED_SCHEMAS = {
    "FieldError": FieldErrorSchema,
    "Problem": ProblemSchema,
    "Health": HealthSchema,
    "Readiness": ReadinessSchema,
    "JobAccepted": JobAcceptedSchema,
}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_OAUTH_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}}}}
# The answers many operations share; a docstring names one with $ref: '#/components/responses/<name>',
# adding its own description beside the $ref where its text says more.
SHARED_RESPONSES = {
    "Queued": {
        "description": "Odoo was not reached (or `Prefer: respond-async` was sent): the write is queued and "
                       "delivered exactly once later. Follow `Location` (GET /v1/jobs/{id}) for its result.",
        "headers": {"Location": {"description": "The job: /v1/jobs/{id}.", "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}},
    },
    "Unauthorized": {"description": "The access token is missing, expired or invalid.", "content": _PROBLEM},
    "BadRequest": {"description": "The body is not JSON.", "content": _PROBLEM},
    "NotModified": {"description": "Unchanged since the ETag in If-None-Match."},
    "Forbidden": {"description": "The token lacks the scope, or Odoo refused.", "content": _PROBLEM},
    "NotFound": {"description": "No such record.", "content": _PROBLEM},
    "PayloadTooLarge": {"description": "The body is too large.", "content": _PROBLEM},
    "UnsupportedMediaType": {"description": "The body is not application/json.", "content": _PROBLEM},
    "InvalidQuery": {"description": "Unknown or invalid query parameters.", "content": _PROBLEM},
    "ValidationFailed": {"description": "Invalid fields, or Odoo rejected the request.", "content": _PROBLEM},
    "OdooUnavailable": {
        "description": "Odoo is unreachable; retry after Retry-After seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying.",
                                    "schema": {"type": "integer"}}},
        "content": _PROBLEM},
    "OAuthError": {"description": "An OAuth 2.0 error (RFC 6749 §5.2), not problem+json.",
                   "content": _OAUTH_ERROR},
}
# A docstring names a shared parameter by its bare name in `parameters` (`- IdempotencyKey`): apispec
# turns the name into a $ref, but refuses a $ref object there, as it checks every dict for name and `in`.
SHARED_PARAMETERS = {
    "IdempotencyKey": {
        "name": "Idempotency-Key", "in": "header", "required": False,
        "schema": {"type": "string", "maxLength": 255},
        "description": "Retry-safe key; the same key and body return the first response."},
}
SHARED_HEADERS = {
    "ETag": {"description": "Strong validator of this representation.", "schema": {"type": "string"}},
}
# Described here and listed after the business tags, which the resources name.
TAGS = [
    {"name": "Operations", "description": "Probes for load balancers and monitoring; no token needed."},
    {"name": "Documentation", "description": "This reference and its machine-readable OpenAPI document."},
]
_FIELD = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<converter>\w+)[^}]*)?\}")
_CONVERTER_SCHEMAS = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}
_KEY_ORDER = ("openapi", "info", "servers", "tags", "security", "paths", "components")
_CACHE_SIZE = 8
_lock = threading.Lock()

DESCRIPTION = """\
SMN is the integration API between our partners and our Odoo ERP. Partners
call SMN over HTTPS with JSON; SMN checks who is calling, validates the
request, talks to Odoo on the partner's behalf and answers with stable,
documented JSON. Partners never talk to Odoo directly, so Odoo upgrades do
not break their integrations.

## Access tokens

Send `Authorization: Bearer <token>` with every operation that lists
`bearerAuth` under *Authorizations*; the token is a JWT issued to your
partner account. Tokens are short-lived ({token_ttl} seconds by default);
request a new one when you receive a `401`. Public operations (the probes,
this documentation, getting a token) need none.

<!-- ReDoc-Inject: <security-definitions> -->

## Request ids

Every response carries an `X-Request-Id` header. Send your own (letters,
digits and `._:-`, at most 128 characters) to follow a call across your
logs and ours; otherwise SMN generates a UUID. Quote it when you contact us.

## Errors

Errors are `application/problem+json` documents (RFC 9457) with `type`,
`title`, `status`, `detail`, `request_id` and, for rejected input, an
`errors` list naming each field. Switch on `type`, which is stable; `detail`
is for humans. A `503` carries `Retry-After`: retry after that many seconds.
"""


class ResponderPlugin(FalconPlugin):
    """FalconPlugin documenting one router node and only the responders its resource defines.

    Call ``spec.path(route=node)`` with a node of Falcon's CompiledRouter.
    """

    def path_helper(self, operations: dict, *, route: Any = None, parameters: list | None = None,
                    **kwargs: Any) -> str | None:
        if route is None:
            return None
        public = _is_public(route.resource)
        for method, responder in own_responders(route):
            operations[method.lower()] = _operation(responder, public)
        if parameters is not None:
            parameters.extend(_path_parameters(route.uri_template))
        return openapi_path(route.uri_template)


def own_responders(route: Any) -> Iterator[tuple[str, Callable]]:
    """(HTTP method, responder) for the responders the route's resource defines.

    Falcon's defaults (OPTIONS, 405 for unknown methods) are plain functions
    from falcon.responders; a resource's own responders are methods bound to it.
    """
    for method, handler in (route.method_map or {}).items():
        real = handler.func if isinstance(handler, partial) else handler
        if inspect.ismethod(real) and real.__self__ is route.resource and real.__name__.startswith("on_"):
            yield method, real


def iter_routes(app: falcon.App) -> Iterator[Any]:
    """Every node of the app's router that has a resource, in registration order."""
    roots = getattr(app._router, "_roots", None)
    if roots is None:
        raise TypeError(f"cannot list routes of {type(app._router).__name__}; only Falcon's CompiledRouter")
    pending = list(roots)
    while pending:
        node = pending.pop(0)
        if node.resource is not None:
            yield node
        pending[0:0] = node.children or []


def openapi_path(uri_template: str) -> str:
    """Falcon's '/items/{id:int}' as OpenAPI's '/items/{id}'."""
    return _FIELD.sub(lambda match: "{" + match["name"] + "}", uri_template)


def _path_parameters(uri_template: str) -> list[dict]:
    return [
        {"name": match["name"], "in": "path", "required": True,
         "schema": dict(_CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"}))}
        for match in _FIELD.finditer(uri_template)
    ]


def _is_public(resource: object) -> bool:
    auth = getattr(resource, "auth", None)
    return isinstance(auth, dict) and bool(auth.get("public"))


def _operation(responder: Callable, public: bool) -> dict:
    """The docstring's YAML, with the gaps a partner-facing reference must not have filled."""
    operation = yaml_utils.load_yaml_from_docstring(responder.__doc__ or "") or {}
    if "summary" not in operation:
        operation["summary"] = _first_line(responder.__doc__) or responder.__name__
    operation.setdefault("responses", {"default": {"description": "The result, or a problem document."}})
    if public:
        operation.setdefault("security", [])
    elif operation.get("security") != [] and "401" not in map(str, operation["responses"]):
        operation["responses"]["401"] = {"$ref": "#/components/responses/Unauthorized"}
    return operation


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def _new_spec(app: falcon.App, settings: Settings) -> APISpec:
    info: dict[str, Any] = {"description": DESCRIPTION.format(token_ttl=settings.token_ttl)}
    spec = APISpec(title=TITLE, version=smn.__version__, openapi_version=OPENAPI_VERSION,
                   plugins=[ResponderPlugin(app), MarshmallowPlugin()], info=info,
                   security=[{BEARER_SCHEME: []}])
    if settings.public_url:
        spec.options["servers"] = [{"url": settings.public_url}]
    spec.components.security_scheme(BEARER_SCHEME, {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "A JWT issued to your partner account, sent as `Authorization: Bearer <token>`."})
    for name, schema in SHARED_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for name, response in SHARED_RESPONSES.items():
        spec.components.response(name, copy.deepcopy(response))
    for name, parameter in SHARED_PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], copy.deepcopy(parameter))
    for name, header in SHARED_HEADERS.items():
        spec.components.header(name, copy.deepcopy(header))
    return spec


def _document(app: falcon.App, settings: Settings) -> dict:
    spec = _new_spec(app, settings)
    for route in iter_routes(app):
        documents_itself = getattr(route.resource, "openapi_paths", None)
        if documents_itself is not None:
            # The resource documents its route itself: the endpoint builder's catch-all adds
            # one path per live slug; the admin pages describe themselves as HTML.
            documents_itself(spec, route)
        elif any(own_responders(route)):
            spec.path(route=route)
    document = spec.to_dict()
    document["tags"] = _tags(document)
    document["info"] = {"title": TITLE, "version": smn.__version__, **document["info"]}
    ordered = {key: document.pop(key) for key in _KEY_ORDER if key in document}
    return {**ordered, **document}


def _tags(document: dict) -> list[dict]:
    """Every tag an operation uses, in route order, with the plumbing tags (TAGS) last."""
    used: dict[str, None] = {}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict):
                used.update(dict.fromkeys(operation.get("tags", [])))
    plumbing = {tag["name"]: tag for tag in TAGS}
    business = [{"name": name} for name in used if name not in plumbing]
    return business + [dict(tag) for name, tag in plumbing.items() if name in used]


@dataclass(frozen=True)
class BuiltSpec:
    """The document, and its JSON body and ETag as /openapi.json serves them."""

    document: dict
    body: bytes
    etag: str


# falcon.App has __slots__ and no weak references, so the cache is keyed by
# id(app) and holds the app itself: an id cannot be reused while its entry
# lives. A process serves one app; the bound only matters to test suites.
_cache: OrderedDict[int, tuple[falcon.App, BuiltSpec]] = OrderedDict()


def built_spec(app: falcon.App, settings: Settings) -> BuiltSpec:
    """The app's document, built on first use and kept until `invalidate_spec`."""
    with _lock:
        entry = _cache.get(id(app))
        if entry is not None:
            _cache.move_to_end(id(app))
        else:
            document = _document(app, settings)
            body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
            entry = (app, BuiltSpec(document, body, hashlib.sha256(body).hexdigest()[:32]))
            _cache[id(app)] = entry
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return entry[1]


def build_spec(app: falcon.App, settings: Settings) -> dict:
    """The OpenAPI document of every route on `app` (a copy: callers may change it)."""
    return copy.deepcopy(built_spec(app, settings).document)


def invalidate_spec(app: falcon.App) -> None:
    """Forget the cached document; call after adding routes at runtime."""
    with _lock:
        _cache.pop(id(app), None)


class _BlockStringDumper(yaml.SafeDumper):
    """Writes multi-line strings (descriptions) as readable `|` blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStringDumper.add_representer(str, _represent_str)


def spec_yaml(app: falcon.App, settings: Settings) -> str:
    """The document as YAML, for docs/openapi.yaml."""
    return yaml.dump(build_spec(app, settings), Dumper=_BlockStringDumper, sort_keys=False,
                     allow_unicode=True, width=100)
