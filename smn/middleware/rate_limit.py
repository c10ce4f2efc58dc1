"""RateLimitMiddleware: each authenticated client's token bucket; 429 problem+json when it is empty.

The header fields follow draft-ietf-httpapi-ratelimit-headers-06 (RateLimit-Limit,
RateLimit-Remaining, RateLimit-Reset in delta seconds, and RateLimit-Policy),
the last version of the draft with separate fields; later versions fold them
into `RateLimit` and `RateLimit-Policy` structured fields (docs/performance.md).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable

import falcon

from smn.errors import Problem
from smn.ratelimit import Decision, RateLimiter


_MAX_POLICIES = 4096
"""Client policies remembered per process; past that the memo starts again (one recomputation per client)."""


class RateLimitMiddleware:
    """Runs after AuthMiddleware (it needs req.context.client); public routes are not limited here."""

    def __init__(self, limiter: RateLimiter, default_rate: float, default_burst: int,
                 on_reject: Callable[[str], None] | None = None) -> None:
        self.limiter = limiter
        self.default_rate = default_rate
        self.default_burst = default_burst
        self.on_reject = on_reject
        self._policies: dict[str, tuple[object, tuple[float, int] | None]] = {}

    def client_policy(self, client: object) -> tuple[float, int] | None:
        """`policy(client)`, worked out once per client record (a changed record is a new object)."""
        known = self._policies.get(client.client_id)  # type: ignore[attr-defined]
        if known is not None and known[0] is client:
            return known[1]
        policy = self.policy(client)
        if len(self._policies) >= _MAX_POLICIES:
            self._policies.clear()
        self._policies[client.client_id] = (client, policy)  # type: ignore[attr-defined]
        return policy

    def policy(self, client: object) -> tuple[float, int] | None:
        """(rate, burst) for this client: its own, else the settings' defaults; None = not limited."""
        rate = getattr(client, "rate_per_second", None) or self.default_rate
        if not rate:
            return None
        burst = getattr(client, "burst", None) or self.default_burst or max(1, math.ceil(2 * rate))
        return float(rate), int(burst)

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource: object,
                         params: dict) -> None:
        client = getattr(req.context, "client", None)
        if client is None:
            return
        policy = self.client_policy(client)
        if policy is None:
            return
        decision = self.limiter.acquire(client.client_id, *policy)
        if decision.allowed:
            resp.set_headers(rate_limit_headers(decision))
            return
        if self.on_reject is not None:
            self.on_reject(client.client_id)
        headers = dict(rate_limit_headers(decision))
        headers["Retry-After"] = str(decision.retry_after)
        raise Problem(429, f"Rate limit of {decision.rate:g} requests per second (burst {decision.limit}) "
                      f"exceeded; retry after {decision.retry_after} s.", slug="rate-limited", headers=headers)


def rate_limit_headers(decision: Decision) -> list[tuple[str, str]]:
    """The four fields, as the (name, value) pairs Falcon's set_headers takes fastest."""
    limit, policy = _limit_and_policy(decision.limit, decision.rate)
    return [
        ("RateLimit-Limit", limit),
        ("RateLimit-Remaining", str(decision.remaining)),
        ("RateLimit-Reset", str(decision.reset)),
        ("RateLimit-Policy", policy),
    ]


@lru_cache(maxsize=1024)
def _limit_and_policy(limit: int, rate: float) -> tuple[str, str]:
    """Policies are few (one per client at most) and the same on every response: formatted once."""
    window = max(1, math.ceil(limit / rate))
    return str(limit), f'{limit};w={window};comment="token bucket, {rate:g}/s"'
