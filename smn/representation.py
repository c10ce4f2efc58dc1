"""What a request asks of the representation: NDJSON or JSON (Accept), and whether it already has it (If-None-Match).

Shared by the partner resources, the read cache and the public documents, so every
endpoint negotiates and revalidates the same way.
"""
from __future__ import annotations

import falcon

NDJSON = "application/x-ndjson"
_JSON_ONLY_ACCEPTS = frozenset({"*/*", falcon.MEDIA_JSON})
"""Accept values (a missing header reads as */*) that can only choose JSON: no media-type negotiation needed."""


def wants_ndjson(req: falcon.Request) -> bool:
    """True when the client prefers NDJSON to JSON (RFC 9110 §12.5.1 quality values)."""
    if req.accept in _JSON_ONLY_ACCEPTS:
        return False
    return req.client_prefers([falcon.MEDIA_JSON, NDJSON]) == NDJSON


def not_modified(req: falcon.Request, etag: str) -> bool:
    """True when If-None-Match names `etag` (or is `*`): the answer is 304 (RFC 9110 §13.1.2)."""
    return any(tag == "*" or tag == etag for tag in req.if_none_match or ())
