"""What the partner resources share: strict input, JSON/ETag/NDJSON output, idempotent writes.

Input is checked completely before Odoo is called: bodies must be JSON
objects under the size limit, query strings and bodies are loaded with
marshmallow schemas that reject unknown members, and every rejected member is
reported as a `{field, message}` pair in one 422 problem.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import falcon
from marshmallow import Schema, ValidationError

from smn.context import bind_request, current_request_id, unbind_request
from smn.errors import Problem
from smn.idempotency import HEADER, REPLAYED_HEADER, IdempotencyStore, Reply, fingerprint, valid_key
from smn.outbox.accept import Acceptor, JobSpec
from smn.pagination import Page, PageRequest, next_link, page_body
from smn.representation import NDJSON, not_modified, wants_ndjson
from smn.settings import Settings

if TYPE_CHECKING:
    from smn.cache import ReadCache

log = logging.getLogger("smn.partner_api")


def dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------- input

def flatten_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested messages as [{field: "lines.0.quantity", message}]."""
    if isinstance(messages, dict):
        found: list[dict[str, str]] = []
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            found.extend(flatten_errors(value, name))
        return found
    if isinstance(messages, (list, tuple)):
        found = []
        for item in messages:
            found.extend(flatten_errors(item, prefix) if isinstance(item, (dict, list)) else
                         [{"field": prefix or "body", "message": str(item)}])
        return found
    return [{"field": prefix or "body", "message": str(messages)}]


def validation_problem(errors: list[dict[str, str]], detail: str | None = None) -> Problem:
    count = len(errors)
    return Problem(422, detail or f"The request has {count} invalid field{'s' if count != 1 else ''}.",
                   slug="validation-error", errors=errors)


def load(schema: Schema, data: Any, prefix: str = "") -> dict[str, Any]:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_problem(flatten_errors(exc.messages, prefix)) from None


def parse_query(req: falcon.Request, schema: Schema) -> dict[str, Any]:
    """The query string through `schema`; a repeated parameter is an error, not a list."""
    return load(schema, dict(req.params))


def read_json(req: falcon.Request, max_bytes: int, *, optional: bool = False) -> Any:
    """The JSON body: 415 unless JSON, 413 over `max_bytes` (declared or read), 400 when malformed."""
    if optional and not req.content_length and not req.content_type:
        return {}
    media = (req.content_type or "").split(";", 1)[0].strip().lower()
    if media != falcon.MEDIA_JSON and not (media.startswith("application/") and media.endswith("+json")):
        raise Problem(415, "Send the body as application/json.", slug="unsupported-media-type")
    if req.content_length is not None and req.content_length > max_bytes:
        raise Problem(413, f"The body is larger than {max_bytes} bytes.", slug="payload-too-large")
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Problem(413, f"The body is larger than {max_bytes} bytes.", slug="payload-too-large")
    if optional and not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"The body is not valid JSON ({_json_error(exc)}).", slug="malformed-json") from None


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "not UTF-8"


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise validation_problem([{"field": "body", "message": "Must be a JSON object."}])
    return data


def page_request(query: dict[str, Any]) -> PageRequest:
    return PageRequest(limit=query.pop("limit"), offset=query.pop("offset"))


# ---------------------------------------------------------------- output

def send_json(resp: falcon.Response, body: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = dumps(body)


def send_etagged(req: falcon.Request, resp: falcon.Response, body: Any) -> None:
    """A single record with a strong ETag of its JSON; 304 when If-None-Match has it."""
    data = dumps(body)
    etag = hashlib.sha256(data).hexdigest()[:32]
    resp.etag = etag
    resp.cache_control = ["private", "no-cache"]
    if not_modified(req, etag):
        resp.status = falcon.HTTP_304
        return
    resp.content_type = falcon.MEDIA_JSON
    resp.data = data


def send_page(req: falcon.Request, resp: falcon.Response, settings: Settings, page: Page,
              items: list[dict[str, Any]]) -> None:
    link = next_link(settings.public_url or "", req.path, dict(req.params), page)
    send_json(resp, page_body(page, items, link))
    resp.append_header("Vary", "Accept")


def reject_paging_for_export(req: falcon.Request) -> None:
    paging = [name for name in ("limit", "offset") if name in req.params]
    if paging:
        raise validation_problem([{"field": name, "message": "Not used by the NDJSON export, which returns "
                                   "every match; remove it."} for name in paging])


def send_ndjson(resp: falcon.Response, records: Iterable[dict[str, Any]]) -> None:
    resp.content_type = NDJSON
    resp.append_header("Vary", "Accept")
    resp.stream = ndjson_lines(records, current_request_id())


def send_collection(req: falcon.Request, resp: falcon.Response, settings: Settings, schema: Schema,
                    listing: Callable[[dict[str, Any], PageRequest], tuple[Page, list[dict[str, Any]]]],
                    export: Callable[[dict[str, Any]], Iterable[dict[str, Any]]] | None = None) -> None:
    """A collection's GET: the query through `schema`, then one page of `listing`.

    With `export`, a client preferring NDJSON gets every match streamed instead.
    """
    query = parse_query(req, schema)
    page = page_request(query)
    if export is not None and wants_ndjson(req):
        reject_paging_for_export(req)
        send_ndjson(resp, export(query))
        return
    found, items = listing(query, page)
    send_page(req, resp, settings, found, items)


def ndjson_lines(records: Iterable[dict[str, Any]], request_id: str | None) -> Iterator[bytes]:
    """One JSON object per line, produced while the server sends them.

    The server iterates after the request's middleware finished, so the
    request id is bound again here: the Odoo calls of later chunks carry it.
    A failure after the first line cannot become a problem document any more;
    it is logged and the connection ends without the closing chunk, which
    HTTP clients report as an incomplete response.
    """
    tokens = bind_request(request_id) if request_id else None
    try:
        for record in records:
            yield dumps(record) + b"\n"
    except Exception:
        log.exception("NDJSON export aborted")
        raise
    finally:
        if tokens is not None:
            unbind_request(tokens)


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, dumps(body), falcon.MEDIA_JSON, headers or {})


def send_reply(resp: falcon.Response, reply: Reply, replayed: bool = False) -> None:
    resp.status = reply.status
    resp.content_type = reply.content_type
    resp.data = reply.body
    for name, value in reply.headers.items():
        resp.set_header(name, value)
    if replayed:
        resp.set_header(REPLAYED_HEADER, "true")


# ---------------------------------------------------------------- writes

def client_id(req: falcon.Request) -> str:
    """Keys are per API client (set by AuthMiddleware)."""
    client = getattr(req.context, "client", None)
    return str(getattr(client, "client_id", client) or "")


@dataclass
class Writer:
    """Runs a write once per Idempotency-Key when the partner sends one."""

    store: IdempotencyStore
    # Queues the write as an outbox job (202) when Odoo is unreachable or the partner prefers async.
    outbox: Acceptor | None = None

    def run(self, req: falcon.Request, resp: falcon.Response, body: Any, action: Callable[[], Reply],
            lease: float | None = None, job: JobSpec | None = None) -> None:
        if job is not None and self.outbox is not None:
            action = self.outbox.wrap(req, client_id(req), body, action, job)
        key = req.get_header(HEADER)
        if key is None:
            send_reply(resp, action())
            return
        if not valid_key(key):
            raise validation_problem([{"field": HEADER, "message": "Must be 1 to 255 visible ASCII characters."}])
        request_hash = fingerprint(req.method, req.path, body)
        reply, replayed = self.store.run(client_id(req), key, request_hash, action, lease)
        send_reply(resp, reply, replayed)


@dataclass
class PartnerApiContext:
    """Collaborators every partner resource gets: settings, the idempotent writer, the read caches."""

    settings: Settings
    writer: Writer
    reads: ReadCache | None = None

    @property
    def max_body_bytes(self) -> int:
        return self.settings.max_body_bytes

    def link(self, path: str) -> str:
        return self.settings.link(path)
