"""A per-process circuit breaker around every HTTP round trip to Odoo.

closed     calls go through; each OdooUnavailable/OdooTimeout adds one to a count of
           consecutive failures, any answer from Odoo (a 422 included) resets it. At
           `failure_threshold` the circuit opens.
open       no call waits on Odoo: OdooCircuitOpen (an OdooUnavailable) is raised at once
           until `cooldown` seconds have passed.
half-open  the first call after the cool-down is let through as the one probe; the
           others still fail at once. The probe's success closes the circuit, its
           failure opens it again for another cool-down.

Every state change is recorded once, as a Transition, and handed in order to the
callbacks registered with `on_change`, outside the breaker's lock (a slow callback
delays only the thread that caused the change, never the state checks of others).
"""
from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from smn.odoo.errors import OdooError, OdooUnavailable

log = logging.getLogger("smn.odoo.breaker")

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"

T = TypeVar("T")


class OdooCircuitOpen(OdooUnavailable):
    """Refused without calling Odoo: the circuit is open (logs and problem slugs say so)."""

    circuit_open = True

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"circuit open: Odoo is not called for another {retry_in:.1f}s after repeated failures")
        self.retry_in = retry_in


@dataclass(frozen=True)
class Transition:
    """One change of state: `at` is wall-clock epoch seconds, `failures` the consecutive failures counted."""

    old: str
    new: str
    at: float
    failures: int
    reason: str


class CircuitBreaker:
    """Thread-safe breaker; `state`, `failures` and `describe()` are for /readyz, logs and metrics."""

    def __init__(self, failure_threshold: int = 5, cooldown: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1 or cooldown <= 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown > 0")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._pending: list[Transition] = []
        self._notify_lock = threading.Lock()
        self._callbacks: list[tuple[Callable[..., None], bool]] = []
        self.transitions = 0

    @property
    def state(self) -> str:
        return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def on_change(self, callback: Callable[..., None]) -> None:
        """Call `callback(old, new)` — or `callback(old, new, transition)` when it takes three — on each change.

        Registering the same callback twice keeps one: several apps built on one client
        (tests do that) must not count or alert each transition twice.
        """
        if all(registered is not callback for registered, _ in self._callbacks):
            self._callbacks.append((callback, _takes_three(callback)))

    def describe(self) -> dict:
        """State for /readyz: state, consecutive failures, and seconds until the next probe when open."""
        with self._lock:
            info = {"state": self._state, "failures": self._failures}
            if self._state == OPEN:
                info["retry_in"] = round(max(0.0, self._opened_at + self.cooldown - self._clock()), 3)
            return info

    def call(self, action: Callable[[], T]) -> T:
        """Run one Odoo round trip under the breaker."""
        probe = self._admit()
        try:
            result = action()
        except OdooUnavailable:
            self._settle(probe, failed=True)
            raise
        except OdooError:
            self._settle(probe, failed=False)
            raise
        except BaseException:
            self._abandon(probe)
            raise
        self._settle(probe, failed=False)
        return result

    def reset(self) -> None:
        """Close the circuit by hand (operators, tests); reported like any other change."""
        with self._lock:
            self._probing = False
            self._change(CLOSED, "reset")
            self._failures = 0
        self._notify()

    def _admit(self) -> bool:
        """True when this call is the half-open probe; raises OdooCircuitOpen when refused."""
        with self._lock:
            if self._state == CLOSED:
                return False
            if self._state == OPEN:
                retry_in = self._opened_at + self.cooldown - self._clock()
                if retry_in > 0:
                    raise OdooCircuitOpen(retry_in)
                self._change(HALF_OPEN, "cool-down over")
            if self._probing:
                raise OdooCircuitOpen(0.0)
            self._probing = True
        self._notify()
        return True

    def _settle(self, probe: bool, failed: bool) -> None:
        with self._lock:
            if probe:
                self._probing = False
            if failed:
                self._failures += 1
                if self._state == HALF_OPEN or (self._state == CLOSED and self._failures >= self.failure_threshold):
                    self._opened_at = self._clock()
                    self._change(OPEN, "probe failed" if self._state == HALF_OPEN else "failure threshold reached")
            elif self._state == HALF_OPEN and probe:
                self._change(CLOSED, "probe succeeded")
                self._failures = 0
            elif self._state == CLOSED:
                self._failures = 0
        self._notify()

    def _abandon(self, probe: bool) -> None:
        """A call that failed before Odoo could answer (a bug, an interrupt) gives up its probe slot."""
        if probe:
            with self._lock:
                self._probing = False

    def _change(self, new: str, reason: str) -> None:
        """Record a transition; the caller holds the lock."""
        old = self._state
        if old == new:
            return
        self._state = new
        self.transitions += 1
        self._pending.append(Transition(old, new, time.time(), self._failures, reason))

    def _notify(self) -> None:
        """Deliver recorded transitions once each, in order, whichever thread gets here first."""
        if not self._pending:
            return
        with self._notify_lock:
            with self._lock:
                pending, self._pending = self._pending, []
            for transition in pending:
                self._deliver(transition)

    def _deliver(self, transition: Transition) -> None:
        level = logging.WARNING if transition.new != CLOSED else logging.INFO
        log.log(level, "odoo circuit %s", transition.new, extra={
            "circuit_from": transition.old, "circuit": transition.new, "failures": transition.failures,
            "reason": transition.reason, "at": transition.at})
        for callback, with_transition in list(self._callbacks):
            try:
                if with_transition:
                    callback(transition.old, transition.new, transition)
                else:
                    callback(transition.old, transition.new)
            except Exception:
                log.exception("circuit breaker callback failed")


def _takes_three(callback: Callable[..., None]) -> bool:
    try:
        inspect.signature(callback).bind(CLOSED, OPEN, None)
    except TypeError:
        return False
    except ValueError:
        return False
    return True
