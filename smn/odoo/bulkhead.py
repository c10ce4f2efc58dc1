"""A cap on concurrent HTTP calls to Odoo from one process (a bulkhead).

Each gunicorn worker has its own Odoo client and so its own bulkhead: the cap
per SMN instance is `SMN_ODOO_MAX_CONCURRENCY` × `SMN_WORKERS`. A call beyond
the cap waits up to `SMN_ODOO_BULKHEAD_WAIT` seconds for a slot, then fails
with OdooBusy (an OdooUnavailable: 503 + Retry-After), so a burst of partner
requests queues in SMN for a moment and is then refused instead of piling onto
Odoo. A process-local semaphore costs a few hundred nanoseconds; a
cross-process one (SysV semaphores, a PostgreSQL advisory lock) would cost a
system call or a round trip on every Odoo call, for a cap that is just as easy
to size per worker.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from smn.odoo.errors import OdooUnavailable


class OdooBusy(OdooUnavailable):
    """Refused without calling Odoo: this process already has its maximum of calls in flight."""

    def __init__(self, limit: int, waited: float) -> None:
        super().__init__(f"{limit} Odoo calls already in flight in this process; no slot freed within {waited}s")
        self.limit = limit
        self.retry_in = 1.0


class Bulkhead:
    """At most `limit` holders at once; `wait` seconds of patience for a slot, then OdooBusy."""

    def __init__(self, limit: int, wait: float) -> None:
        if limit < 1 or wait < 0:
            raise ValueError("limit must be >= 1 and wait >= 0")
        self.limit = limit
        self.wait = wait
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.rejected = 0
        self.on_reject: Callable[[], None] | None = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block."""
        if not self._slots.acquire(timeout=self.wait):
            with self._lock:
                self.rejected += 1
            if self.on_reject is not None:
                self.on_reject()
            raise OdooBusy(self.limit, self.wait)
        with self._lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
            self._slots.release()
