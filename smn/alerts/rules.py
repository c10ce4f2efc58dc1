"""The conditions that raise alerts.

OdooCircuitRule   the circuit breaker opened (Odoo down) or closed again (recovered)
JobFailedRule     an outbox job failed for good
ErrorRateWindow   the share of 5xx responses of this process over a sliding window
Monitor           a thread: PostgreSQL ping, Odoo probe (through the breaker) and outbox backlog
"""
from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from smn.alerts.manager import AlertManager
from smn.alerts.model import EXAMPLE_REQUEST_IDS, Alert
from smn.context import current_request_id
from smn.timefmt import epoch_iso

log = logging.getLogger("smn.alerts")


class ErrorRateWindow:
    """Per-process sliding window of response statuses; raises `error_rate` above the threshold.

    Counts are kept per second of traffic (requests, 5xx by status, 4xx) and the
    window slides a second at a time, so memory and the per-request cost stay
    the same at any request rate (keeping one entry per request held a quarter
    of a million of them per worker at 4k req/s and a 60 s window). A success
    within the second already open is only counted, without the lock, and added
    to that second when the next one opens or the window is read. Also
    remembers the ids of the latest failed requests, which other alerts quote as
    examples.
    """

    def __init__(self, manager: AlertManager, rate: float, window: float, min_requests: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.manager = manager
        self.rate = rate
        self.window = window
        self.min_requests = min_requests
        self._clock = clock
        self._lock = threading.Lock()
        self._seconds: collections.deque[_Second] = collections.deque()
        self._requests = self._errors = self._client_errors = 0
        # Successes within the open second are only counted (itertools.count); _roll adds them to it.
        self._successes = itertools.count()
        self._successes_drawn = next(self._successes)
        self._open_second: int | None = None
        self._failures: collections.deque[tuple[float, str]] = collections.deque(maxlen=EXAMPLE_REQUEST_IDS)
        self._last_raised = float("-inf")

    def record(self, status: int, request_id: str | None) -> None:
        now = self._clock()
        if status < 400 and int(now) == self._open_second:
            next(self._successes)  # atomic under the GIL: no lock for the common case
            return
        failed = status >= 500
        with self._lock:
            self._roll(now)
            current = self._seconds[-1]
            current.requests += 1
            self._requests += 1
            if failed:
                current.errors[status] = current.errors.get(status, 0) + 1
                self._errors += 1
                if request_id:
                    self._failures.append((now, request_id))
            elif status >= 400:
                current.client_errors += 1
                self._client_errors += 1
            total, errors = self._requests, self._errors
            due = (failed and total >= self.min_requests and errors / total >= self.rate
                   and now - self._last_raised >= 1.0)
            if due:
                self._last_raised = now
                statuses = collections.Counter()
                for entry in self._seconds:
                    statuses.update(entry.errors)
        if due:
            self.manager.raise_alert(Alert(
                "error_rate", "warning", f"{errors / total:.0%} of responses were 5xx over the last {self.window:g}s",
                {"errors": errors, "requests": total, "rate": round(errors / total, 4), "threshold": self.rate,
                 "window_s": self.window, "statuses": {str(k): v for k, v in sorted(statuses.items())}},
                tuple(self.recent_failures())))

    def counts(self) -> dict[str, int]:
        """Responses in the window now: requests, errors (5xx) and client_errors (4xx)."""
        with self._lock:
            self._roll(self._clock())
            return {"requests": self._requests, "errors": self._errors, "client_errors": self._client_errors}

    def recent_failures(self, limit: int = EXAMPLE_REQUEST_IDS) -> list[str]:
        """Ids of the latest 5xx responses still in the window, newest first."""
        with self._lock:
            since = self._clock() - self.window
            found = [rid for at, rid in reversed(self._failures) if at >= since]
        return found[:limit]

    def _roll(self, now: float) -> None:
        """Add the counted successes to the open second, drop old seconds, open `now`'s (the lock is held)."""
        drawn = next(self._successes)
        successes, self._successes_drawn = drawn - self._successes_drawn - 1, drawn
        if successes and self._seconds:
            self._seconds[-1].requests += successes
            self._requests += successes
        second = int(now)
        if not self._seconds or self._seconds[-1].second != second:
            self._evict(now)
            self._seconds.append(_Second(second))
        self._open_second = second

    def _evict(self, now: float) -> None:
        """Drop the seconds that left the window (the lock is held)."""
        oldest = now - self.window
        while self._seconds and self._seconds[0].second + 1 <= oldest:
            gone = self._seconds.popleft()
            self._requests -= gone.requests
            self._errors -= sum(gone.errors.values())
            self._client_errors -= gone.client_errors


class _Second:
    """The responses of one second: how many, the 5xx by status, the 4xx."""

    __slots__ = ("second", "requests", "errors", "client_errors")

    def __init__(self, second: int) -> None:
        self.second = second
        self.requests = 0
        self.errors: dict[int, int] = {}
        self.client_errors = 0


class OdooCircuitRule:
    """Register with `breaker.on_change(rule)`: open -> `odoo_down`, closed again -> `odoo_recovered`.

    Called on the thread of the request that changed the state: it only queues.
    """

    def __init__(self, manager: AlertManager, recent_failures: Callable[[], list[str]] = list) -> None:
        self.manager = manager
        self.recent_failures = recent_failures
        self._down_since: float | None = None

    def __call__(self, old: str, new: str, transition: Any = None) -> None:
        at = getattr(transition, "at", None) or time.time()
        request_ids = tuple(dict.fromkeys([rid for rid in [current_request_id(), *self.recent_failures()] if rid]))
        if new == "open" and old != "open":
            self._down_since = self._down_since or at
            self.manager.raise_alert(Alert("odoo_down", "critical", "Odoo is down: the circuit breaker opened", {
                "since": epoch_iso(self._down_since), "failures": getattr(transition, "failures", None),
                "reason": getattr(transition, "reason", None), "previous_state": old}, request_ids))
        elif new == "closed" and old != "closed" and self._down_since is not None:
            down_for = round(at - self._down_since, 1)
            self._down_since = None
            self.manager.raise_alert(Alert("odoo_recovered", "info", f"Odoo recovered after {down_for:g}s", {
                "down_for_s": down_for, "reason": getattr(transition, "reason", None)}, request_ids))


class JobFailedRule:
    """Register with `smn.outbox.hooks.on_job_failed(rule)`; all failures fold into one `job_failed` alert."""

    def __init__(self, manager: AlertManager) -> None:
        self.manager = manager

    def __call__(self, job: Any) -> None:
        error = str(getattr(job, "last_error", "") or "")
        request_id = getattr(job, "request_id", None)
        self.manager.raise_alert(Alert("job_failed", "warning", "an outbox job failed for good", {
            "job_id": str(getattr(job, "id", "")), "job_kind": getattr(job, "kind", None),
            "client": getattr(job, "client_id", None), "attempts": getattr(job, "attempts", None),
            "last_error": error[:500]}, (request_id,) if request_id else ()))


@dataclass(frozen=True)
class BacklogReading:
    """What the monitor needs to know about the outbox."""

    pending: int
    oldest_age_s: float
    request_ids: tuple[str, ...] = ()


class Monitor(threading.Thread):
    """Every `interval`: ping PostgreSQL, probe Odoo (its breaker raises the alerts) and read the backlog."""

    def __init__(self, manager: AlertManager, interval: float, ping: Callable[[], None] | None = None,
                 odoo_probe: Callable[[], Any] | None = None, backlog: Callable[[], BacklogReading] | None = None,
                 backlog_jobs: int = 500, backlog_age: float = 600) -> None:
        super().__init__(name="smn-alerts-monitor", daemon=True)
        self.manager = manager
        self.interval = interval
        self.ping = ping
        self.odoo_probe = odoo_probe
        self.backlog = backlog
        self.backlog_jobs = backlog_jobs
        self.backlog_age = backlog_age
        self._stop_event = threading.Event()
        self._db_down_since: float | None = None

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.check()

    def stop(self) -> None:
        self._stop_event.set()

    def check(self) -> None:
        """One round; public so that tests and `smn worker` loops can drive it."""
        database_up = self._check_database()
        if self.odoo_probe is not None:
            try:
                self.odoo_probe()
            except Exception:
                log.debug("monitor: odoo probe failed")
        if database_up and self.backlog is not None:
            self._check_backlog()

    def _check_database(self) -> bool:
        if self.ping is None:
            return True
        try:
            self.ping()
        except Exception as exc:
            if self._db_down_since is None:
                self._db_down_since = time.time()
            self.manager.raise_alert(Alert("postgres_down", "critical", "PostgreSQL is unreachable", {
                "since": epoch_iso(self._db_down_since), "error": type(exc).__name__}))
            return False
        if self._db_down_since is not None:
            down_for = round(time.time() - self._db_down_since, 1)
            self._db_down_since = None
            self.manager.raise_alert(Alert("postgres_recovered", "info", f"PostgreSQL answers again after "
                                           f"{down_for:g}s", {"down_for_s": down_for}))
        return True

    def _check_backlog(self) -> None:
        try:
            backlog = self.backlog()
        except Exception as exc:
            log.warning("monitor: outbox backlog not read", extra={"error": type(exc).__name__})
            return
        if backlog.pending >= self.backlog_jobs or (backlog.pending and backlog.oldest_age_s >= self.backlog_age):
            self.manager.raise_alert(Alert(
                "outbox_backlog", "warning",
                f"outbox backlog: {backlog.pending} jobs waiting, the oldest for {backlog.oldest_age_s:.0f}s",
                {"pending": backlog.pending, "oldest_age_s": round(backlog.oldest_age_s, 1),
                 "threshold_jobs": self.backlog_jobs, "threshold_age_s": self.backlog_age},
                backlog.request_ids[:EXAMPLE_REQUEST_IDS]))
