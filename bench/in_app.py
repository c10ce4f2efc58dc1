"""Thread CPU spent inside the WSGI app, per request, under the real gunicorn (`bench.run --in-app`).

gunicorn loads `bench.in_app:timed('smn.wsgi:app')` (or the floor's app)
instead of the app itself. Each call is timed with `time.thread_time_ns()`:
the CPU the request's thread spent in `App.__call__`. Time spent waiting for the GIL
is not counted, and neither is gunicorn's parsing and writing. Each worker
writes its running totals to `$BENCH_IN_APP_DIR/<pid>.json` every
`WRITE_INTERVAL` seconds. The bench sums them before and after a measurement.

Why: the sixth pass of issue #7 (docs/performance.md) found that SMN's own
code costs about twice as much under gunicorn as in a loop (`bench.profile`),
and that req/s ratios of two noisy runs move by ±10% from round to round.
This figure isolates SMN's own work under the real server.

The two clock reads add about 1 µs per request, so `make bench` itself does
not wrap the apps.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

DIR_ENV = "BENCH_IN_APP_DIR"
WRITE_INTERVAL = 0.2
"""Seconds between two writes of a worker's totals; `bench.run` waits longer than this before reading."""


class InAppTimer:
    """A WSGI app that times another: calls and thread CPU nanoseconds, kept per thread (no lock per request)."""

    def __init__(self, app: Callable, folder: Path | None = None) -> None:
        self.app = app
        self.folder = folder
        self._lock = threading.Lock()
        self._threads: list[list[int]] = []
        self._local = threading.local()
        self._writer: threading.Thread | None = None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        totals = getattr(self._local, "totals", None) or self._register()
        started = time.thread_time_ns()
        try:
            return self.app(environ, start_response)
        finally:
            totals[1] += time.thread_time_ns() - started
            totals[0] += 1

    def totals(self) -> tuple[int, int]:
        """(calls, thread CPU ns) over every thread so far."""
        with self._lock:
            threads = list(self._threads)
        return sum(t[0] for t in threads), sum(t[1] for t in threads)

    def write(self) -> None:
        if self.folder is None:
            return
        calls, cpu_ns = self.totals()
        path = self.folder / f"{os.getpid()}.json"
        partial = path.with_suffix(f".{threading.get_ident()}.tmp")  # the writer thread and a caller may overlap
        partial.write_text(json.dumps({"calls": calls, "cpu_ns": cpu_ns}))
        partial.replace(path)

    def _register(self) -> list[int]:
        """This thread's [calls, cpu_ns]; the first call of a worker also starts its writer."""
        totals = self._local.totals = [0, 0]
        with self._lock:
            self._threads.append(totals)
            if self._writer is None and self.folder is not None:
                self._writer = threading.Thread(target=self._write_forever, name="bench-in-app", daemon=True)
                self._writer.start()
        return totals

    def _write_forever(self) -> None:
        while True:
            self.write()
            time.sleep(WRITE_INTERVAL)


def timed(target: str) -> InAppTimer:
    """gunicorn's app factory: `bench.in_app:timed('module:attribute')`, totals written to $BENCH_IN_APP_DIR.

    The target may itself be a factory call with one string argument, as
    gunicorn allows: `module:factory('argument')` (bench.ablate).
    """
    module, _, attribute = target.partition(":")
    name, call, argument = attribute.partition("(")
    app = getattr(importlib.import_module(module), name)
    if call:
        app = app(ast.literal_eval(argument.removesuffix(")")))
    folder = Path(os.environ[DIR_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    return InAppTimer(app, folder)


def read_totals(folder: Path) -> tuple[int, int]:
    """(calls, thread CPU ns) summed over the workers that wrote to `folder`."""
    calls = cpu_ns = 0
    for path in folder.glob("*.json"):
        try:
            found: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        calls += found["calls"]
        cpu_ns += found["cpu_ns"]
    return calls, cpu_ns


def per_call_us(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Thread CPU µs per call between two `read_totals`; None when no call was made."""
    calls = after[0] - before[0]
    return round((after[1] - before[1]) / calls / 1000, 1) if calls > 0 else None
