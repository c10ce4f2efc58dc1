"""Scopes: their syntax, `requires_scope` for responders, and `check_scopes` for the same check inline.

    class ProductsResource:
        @requires_scope("products:read")
        def on_get(self, req, resp): ...

The decorator leaves `required_scope` (space-separated, all needed) and
`required_scopes` on the responder so the OpenAPI builder can document it.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Collection, Iterable

import falcon

from smn.auth.challenges import insufficient_scope, missing_token

# RFC 6749 §3.3 allows more; SMN keeps scopes readable, e.g. "orders:write".
SCOPE_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class InvalidScope(ValueError):
    """A scope string that does not follow SCOPE_PATTERN."""


def parse_scopes(value: str | Iterable[str]) -> tuple[str, ...]:
    """'a b' or 'a,b' or ['a', 'b'] -> ('a', 'b'), without duplicates, in order; raises InvalidScope."""
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    scopes: list[str] = []
    for item in items:
        if not item:
            continue
        if not isinstance(item, str) or not SCOPE_PATTERN.fullmatch(item):
            raise InvalidScope(f"invalid scope {str(item)[:70]!r}: use letters, digits and _.:- (at most 64)")
        if item not in scopes:
            scopes.append(item)
    return tuple(scopes)


def format_scopes(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))


def requires_scope(*scopes: str) -> Callable[[Callable], Callable]:
    """Responder decorator: the caller's token must carry every one of `scopes`, else 403."""
    needed = parse_scopes(scopes)
    if not needed:
        raise InvalidScope("requires_scope needs at least one scope")
    required = " ".join(needed)
    needed_set = frozenset(needed)

    def check(req: falcon.Request, resp: falcon.Response, resource: Any, params: dict) -> None:
        check_scopes(req, needed_set, required)

    def decorate(responder: Callable) -> Callable:
        wrapped = falcon.before(check)(responder)
        wrapped.required_scope = required
        wrapped.required_scopes = needed
        return wrapped

    return decorate


def check_scopes(req: falcon.Request, needed: Collection[str], required: str) -> None:
    """401 without a token, 403 unless the token carries every scope in `needed`.

    `required` is `needed` as the challenge and problem show it (space-separated);
    callers compute it once rather than on every request.
    """
    principal = getattr(req.context, "auth", None)
    if principal is None:
        raise missing_token()
    if not principal.scopes.issuperset(needed):
        raise insufficient_scope(required)
