"""Per-client token buckets that hold across workers and instances, with no query on the request path.

The bucket of record is a row in PostgreSQL (rate_limit_buckets, refilled at
`rate` per second up to `burst` by PostgreSQL's clock). Each worker process
keeps, per client, the tokens it has *leased* from that row and hands them out
from memory under one short lock. A background thread per process does every
lease:

- the first request of a client in a process asks for a lease and waits for
  it at most `lease_wait` seconds (the thread does the query, not the request);
- when a process's supply runs low the thread fetches the next block before it
  is needed (a block is what the process used since its previous lease, at
  least `rate × horizon`), so busy clients never wait;
- when the shared bucket is empty the process knows from the lease answer
  when the next token appears and refuses until then without asking;
- tokens left unused for `idle_return` seconds are given back to the row.

Tokens are only ever created by the shared row, so the clients' total over any
run is at most `burst + rate × t` across all processes and instances. What the
processes hold but have not spent yet (at most one block each) can make the
total fall short of that, and tokens leased before a window began can be spent
in it: the documented tolerance is one block per process (docs/performance.md).

If PostgreSQL cannot be reached, or a client's first lease in this process
takes longer than `lease_wait`, the process falls back to an in-process bucket with the same rate
(starting with one token, filling up to `burst`) rather than refusing every
partner. What it lets through that way is owed: later leases pay that debt
(up to `burst`) before handing out tokens, so the total comes back in line.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable, NamedTuple

import psycopg2

from smn.process import current_pid
from smn.ratelimit.store import LeaseStore

log = logging.getLogger("smn.ratelimit")

_RETRY_AFTER_FAILURE = 1.0
_TICK = 1.0


class Decision(NamedTuple):
    """One request's verdict and what the RateLimit header fields report (a tuple: made on every request)."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int
    rate: float


class _Bucket:
    """What one process knows and holds of one client's shared bucket."""

    __slots__ = ("rate", "burst", "tokens", "shared", "shared_at", "empty_until", "demand", "pending",
                 "last_used", "version", "local", "local_at", "debt", "refill_below")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = 0
        self.shared = float(burst)
        self.shared_at = now
        self.empty_until = 0.0
        self.demand = 0
        self.pending = False
        self.last_used = now
        self.version = 0
        self.local = 1.0
        self.local_at = now
        self.debt = 0
        self.refill_below = 0  # ask for the next lease when tokens fall to this (RateLimiter._bucket sets it)

    def remaining(self, now: float) -> int:
        shared = min(self.burst, self.shared + self.rate * (now - self.shared_at))
        return max(0, min(self.burst, self.tokens + math.floor(shared)))


class RateLimiter:
    """acquire(client_id, rate, burst) -> Decision; thread-safe, fork-aware, no I/O on the caller's thread."""

    def __init__(self, store: LeaseStore, *, lease_wait: float = 0.05, horizon: float = 0.1,
                 idle_return: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.lease_wait = lease_wait
        self.horizon = horizon
        self.idle_return = idle_return
        self._clock = clock
        self._reset_process_state()

    def _reset_process_state(self) -> None:
        self._pid = current_pid()
        # acquire() takes the condition's lock directly: the same mutual exclusion, without
        # Condition's Python-level __enter__/__exit__ on every request; waits still use _cond.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._buckets: dict[str, _Bucket] = {}
        self._due: set[str] = set()
        self._degraded_until = 0.0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.leases = 0
        self.fallbacks = 0

    # -- the request path ----------------------------------------------------------------

    def acquire(self, client_id: str, rate: float, burst: int) -> Decision:
        if self._thread is None or self._pid != current_pid():
            self._ensure_started()
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(client_id)
            if bucket is None or bucket.rate != rate or bucket.burst != burst:
                bucket = self._bucket(client_id, rate, burst, now)
            bucket.last_used = now
            if now < self._degraded_until:
                return self._local_take(bucket, now)
            if bucket.tokens > 0:
                return self._take(client_id, bucket, now)
            if now < bucket.empty_until:
                return self._reject(bucket, now)
            bucket.demand += 1
            self._want(client_id, bucket)
            if not self._await_lease(bucket, now + self.lease_wait):
                now = self._clock()
                if bucket.version and now >= self._degraded_until:
                    return self._reject(bucket, now)  # a slow lease for a known bucket: refuse, do not guess
                self.fallbacks += 1
                if not bucket.version:
                    log.info("rate limit: no lease within SMN_RATE_LIMIT_LEASE_WAIT; using the in-process bucket",
                             extra={"client": client_id})
                return self._local_take(bucket, now)
            now = self._clock()
            if bucket.tokens > 0:
                return self._take(client_id, bucket, now)
            return self._reject(bucket, now)

    def _bucket(self, client_id: str, rate: float, burst: int, now: float) -> _Bucket:
        """The client's bucket, made or given the client's current rate and burst."""
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = _Bucket(rate, burst, now)
        else:
            bucket.rate, bucket.burst = rate, burst
        bucket.refill_below = self._block(bucket) // 2
        return bucket

    def _await_lease(self, bucket: _Bucket, deadline: float) -> bool:
        """Wait (releasing the lock) for the next lease answer; False if none came in time."""
        version = bucket.version
        while bucket.version == version:
            left = deadline - self._clock()
            if left <= 0 or self._clock() < self._degraded_until:
                return False
            self._cond.wait(left)
        return True

    def _take(self, client_id: str, bucket: _Bucket, now: float) -> Decision:
        bucket.tokens -= 1
        bucket.demand += 1
        if bucket.tokens <= bucket.refill_below and now >= bucket.empty_until:
            self._want(client_id, bucket)
        return self._allowed(bucket, bucket.remaining(now))

    def _local_take(self, bucket: _Bucket, now: float) -> Decision:
        """The in-process bucket used while PostgreSQL is unreachable or slow."""
        bucket.local = min(bucket.burst, bucket.local + bucket.rate * (now - bucket.local_at))
        bucket.local_at = now
        if bucket.local >= 1:
            bucket.local -= 1
            bucket.debt = min(bucket.burst, bucket.debt + 1)
            return self._allowed(bucket, math.floor(bucket.local))
        return self._refused(bucket, (1 - bucket.local) / bucket.rate)

    def _reject(self, bucket: _Bucket, now: float) -> Decision:
        return self._refused(bucket, max(bucket.empty_until - now, 1 / bucket.rate))

    @staticmethod
    def _allowed(bucket: _Bucket, remaining: int) -> Decision:
        reset = math.ceil((bucket.burst - remaining) / bucket.rate) if remaining < bucket.burst else 0
        return Decision(True, bucket.burst, remaining, reset, 0, bucket.rate)

    @staticmethod
    def _refused(bucket: _Bucket, wait: float) -> Decision:
        seconds = max(1, math.ceil(wait))
        return Decision(False, bucket.burst, 0, seconds, seconds, bucket.rate)

    def _block(self, bucket: _Bucket) -> int:
        return max(1, min(bucket.burst, math.ceil(bucket.rate * self.horizon)))

    def _want(self, client_id: str, bucket: _Bucket) -> None:
        if not bucket.pending:
            bucket.pending = True
            self._due.add(client_id)
            self._cond.notify_all()

    # -- the background thread -------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._thread is not None and self._pid == current_pid():
            return
        with self._cond:
            if self._pid != current_pid():
                self.store.forget()
                self._reset_process_state()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smn-ratelimit", daemon=True)
                self._thread.start()

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and self._pid == current_pid():
            thread.join(5)
        self.store.close()

    def _run(self) -> None:
        next_sweep = self._clock() + _TICK
        while True:
            with self._cond:
                while not self._due and not self._stopping and self._clock() < next_sweep:
                    self._cond.wait(max(0.0, next_sweep - self._clock()))
                if self._stopping:
                    return
                work = self._collect()
            results = self._lease_all(work)
            with self._cond:
                self._apply(work, results)
            if self._clock() >= next_sweep:
                self._sweep()
                next_sweep = self._clock() + _TICK

    def _collect(self) -> list[tuple[str, float, int, int]]:
        """(client, rate, burst, want) for each bucket due a lease; the caller holds the lock."""
        work = []
        for client_id in self._due:
            bucket = self._buckets.get(client_id)
            if bucket is not None:
                want = max(self._block(bucket), bucket.demand) + bucket.debt
                work.append((client_id, bucket.rate, bucket.burst, want))
        self._due.clear()
        return work

    def _lease_all(self, work: list[tuple[str, float, int, int]]) -> list[tuple[str, int, float] | None]:
        results: list[tuple[str, int, float] | None] = []
        for client_id, rate, burst, want in work:
            try:
                granted, remaining = self.store.lease(client_id, rate, burst, want)
            except psycopg2.Error as exc:
                log.warning("rate limit lease failed; limiting in this process alone for now",
                            extra={"error": type(exc).__name__})
                results.append(None)
                break
            self.leases += 1
            log.debug("rate limit lease", extra={"client": client_id, "want": want, "granted": granted,
                                                 "shared_left": round(remaining, 3)})
            results.append((client_id, granted, remaining))
        return results

    def _apply(self, work: list[tuple[str, float, int, int]], results: list[tuple[str, int, float] | None]) -> None:
        now = self._clock()
        if None in results:
            self._degraded_until = now + _RETRY_AFTER_FAILURE
        for result in results:
            if result is None:
                continue
            client_id, granted, remaining = result
            bucket = self._buckets.get(client_id)
            if bucket is None:
                continue
            paid = min(granted, bucket.debt)
            bucket.debt -= paid
            bucket.tokens += granted - paid
            bucket.shared, bucket.shared_at = remaining, now
            bucket.empty_until = now + (1 - remaining) / bucket.rate if remaining < 1 else 0.0
            bucket.demand = 0
            bucket.version += 1
        for client_id, *_ in work:
            bucket = self._buckets.get(client_id)
            if bucket is not None:
                bucket.pending = False
        self._cond.notify_all()

    def _sweep(self) -> None:
        """Give back the tokens of clients idle for `idle_return` seconds, and forget them."""
        with self._cond:
            cutoff = self._clock() - self.idle_return
            idle = [(client_id, bucket) for client_id, bucket in self._buckets.items()
                    if bucket.last_used < cutoff and not bucket.pending]
            for client_id, _ in idle:
                del self._buckets[client_id]
        for client_id, bucket in idle:
            if bucket.tokens > 0:
                try:
                    self.store.lease(client_id, bucket.rate, bucket.burst, 0, bucket.tokens)
                except psycopg2.Error:
                    return
