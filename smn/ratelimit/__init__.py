"""Per-client token buckets shared through PostgreSQL, served from memory (see limiter.py)."""
from smn.ratelimit.limiter import Decision, RateLimiter
from smn.ratelimit.store import LeaseStore

__all__ = ["Decision", "LeaseStore", "RateLimiter"]
