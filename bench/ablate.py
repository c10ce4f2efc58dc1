"""SMN with some per-request pieces replaced by no-ops, to see what each costs under gunicorn (`bench.run --ablate`).

gunicorn loads `bench.ablate:ablated('log,limit')` instead of `smn.wsgi:app`.
The named middleware methods become no-ops before the app is built, so
the same request path runs minus those pieces. An ablated SMN is not a
product: it logs nothing, counts nothing or limits nothing. It only says how
much of the cached read's CPU per request a piece accounts for under the real
server, where the same code costs about twice what it costs in a loop
(docs/performance.md, sixth and seventh passes).
"""
from __future__ import annotations

from typing import Any, Callable

from smn.middleware.access_log import AccessLogMiddleware
from smn.middleware.error_rate import ErrorRateMiddleware
from smn.middleware.metrics import MetricsMiddleware
from smn.middleware.rate_limit import RateLimitMiddleware


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


PIECES: dict[str, tuple[str, tuple[tuple[type, str], ...]]] = {
    "log": ("the access line", ((AccessLogMiddleware, "process_response"),)),
    "metrics": ("the request metrics", ((MetricsMiddleware, "process_request"),
                                        (MetricsMiddleware, "process_response"))),
    "errors": ("the 5xx window behind the error-rate alert", ((ErrorRateMiddleware, "process_response"),)),
    "limit": ("the rate limit and its RateLimit header fields", ((RateLimitMiddleware, "process_resource"),)),
}
"""Name -> (what it removes, the (class, method) pairs made no-ops)."""


def parse_pieces(text: str) -> tuple[str, ...]:
    """'log, limit' -> ('limit', 'log'): known names, sorted, no repeats; ValueError names the unknown ones."""
    names = sorted({name.strip() for name in text.split(",") if name.strip()})
    unknown = [name for name in names if name not in PIECES]
    if unknown:
        raise ValueError(f"unknown piece(s): {', '.join(unknown)}; known: {', '.join(PIECES)}")
    return tuple(names)


def ablate(pieces: tuple[str, ...]) -> None:
    """Make the pieces' middleware methods no-ops (for this process: call it before the app is built)."""
    for name in pieces:
        for owner, method in PIECES[name][1]:
            setattr(owner, method, _nothing)


def ablated(pieces: str) -> Callable:
    """gunicorn's app factory: SMN's WSGI app built after `ablate`."""
    ablate(parse_pieces(pieces))
    from smn.wsgi import app

    return app
