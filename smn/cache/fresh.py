"""The fresh cache: answers kept in memory per worker for a short TTL, least recently used dropped first.

A hit costs a dictionary lookup: no PostgreSQL query and no Odoo call.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class FreshCache(Generic[V]):
    """A bounded LRU whose entries expire `ttl` seconds after they were put."""

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> tuple[V, float] | None:
        """(value, seconds of freshness left), or None when absent or expired."""
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, value = found
            if expires <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value, expires - now

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
