"""This worker's built endpoints, kept fresh by LISTEN smn_builder and a periodic reload.

Same mechanism as smn/auth/state.py (smn.db.listen.NotifyListener): a daemon
thread per process holds one connection that LISTENs, reloads every definition
on any notification (there are few), and again every `resync_interval` seconds
and after reconnects.
Requests read the current dict without a lock or a query.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from smn.builder.definitions import Definition
from smn.builder.store import DefinitionStore
from smn.db.listen import NotifyListener
from smn.process import current_pid

log = logging.getLogger("smn.builder")

CHANNEL = "smn_builder"
LISTENER_APPLICATION_NAME = "smn-builder"


class EndpointRegistry:
    def __init__(self, store: DefinitionStore, resync_interval: float,
                 on_change: Callable[[], None] | None = None) -> None:
        self.store = store
        self.resync_interval = resync_interval
        self.on_change = on_change
        self._definitions: dict[str, Definition] = {}
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: _Listener | None = None
        self._loaded = threading.Event()

    def get(self, slug: str) -> Definition | None:
        self.ensure_started()
        return self._definitions.get(slug)

    def all(self) -> list[Definition]:
        self.ensure_started()
        return sorted(self._definitions.values(), key=lambda d: d.slug)

    def ensure_started(self, timeout: float = 5.0) -> None:
        """Start the listener in this process (again after a fork) and wait for the first load.

        Every request calls this: once started and loaded it returns without a lock or a wait.
        """
        if self._thread is not None and self._pid == current_pid() and self._loaded.is_set():
            return
        if self._thread is None or self._pid != current_pid():
            with self._lock:
                if self._thread is None or self._pid != current_pid():
                    self._pid = current_pid()
                    self._loaded = threading.Event()
                    self._thread = _Listener(self)
                    self._thread.start()
        self._loaded.wait(timeout)

    def replace(self, definitions: dict[str, Definition]) -> None:
        changed = {d.slug: d.version for d in definitions.values()} != \
            {d.slug: d.version for d in self._definitions.values()}
        self._definitions = definitions
        self._loaded.set()
        if changed and self.on_change is not None:
            self.on_change()

    def reload(self) -> None:
        """Reload now from the caller's thread (the admin's own worker need not wait for NOTIFY)."""
        self.replace(self.store.load_all())

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and self._pid == current_pid():
            thread.stop()


class _Listener(NotifyListener):
    """Any notification reloads every definition: there are few, and a reload is one query."""

    channel = CHANNEL
    application_name = LISTENER_APPLICATION_NAME
    log = log

    def __init__(self, registry: EndpointRegistry) -> None:
        super().__init__("smn-builder-listener", registry.store.database.url)
        self.registry = registry

    @property
    def resync_interval(self) -> float:
        return self.registry.resync_interval

    def load(self, cur: Any) -> None:
        self.registry.replace(self.registry.store.load_all(cur))

    def notified(self, cur: Any, notifications: list) -> None:
        self.load(cur)
