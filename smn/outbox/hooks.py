"""Hooks for other parts of SMN (alerts): called by the worker, never by a partner request."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

log = logging.getLogger("smn.outbox")

_failed: list[Callable[[Any], None]] = []
_lock = threading.Lock()


def on_job_failed(callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register `callback(job)`, called once when a job fails for good (job: smn.outbox.store.Job).

    Returns the callback, so it can be used as a decorator.
    """
    with _lock:
        _failed.append(callback)
    return callback


def remove_job_failed(callback: Callable[[Any], None]) -> None:
    with _lock:
        if callback in _failed:
            _failed.remove(callback)


def job_failed(job: Any) -> None:
    """Run every registered callback; one that raises is logged and does not stop the others."""
    with _lock:
        callbacks = list(_failed)
    for callback in callbacks:
        try:
            callback(job)
        except Exception:
            log.exception("on_job_failed callback raised", extra={"job_id": job.id})
