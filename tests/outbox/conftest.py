"""Outbox fixtures: a fast-retrying worker in this process, order bodies, order counts in the stand-in."""
from __future__ import annotations

import itertools
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

from smn.outbox.worker import Worker

_refs = itertools.count(1)
ROOT_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture()
def fast_settings(settings):
    """Short polls, leases and backoff so drills run in seconds."""
    return settings.replace(outbox_poll_interval=0.2, outbox_backoff_base=0.05, outbox_backoff_max=0.3,
                            outbox_lease=5, outbox_threads=4, callback_timeout=2.0)


@pytest.fixture()
def run_worker(fast_settings, services) -> Callable:
    """`with run_worker(**setting_overrides) as worker:` a Worker on its threads, stopped on exit."""

    @contextmanager
    def running(**overrides) -> Iterator[Worker]:
        worker = Worker(fast_settings.replace(**overrides), services.database, services.odoo).start()
        try:
            yield worker
        finally:
            worker.stop()

    return running


@pytest.fixture()
def order_ref() -> Callable[[], str]:
    return lambda: f"PO-OUTBOX-{os.getpid()}-{next(_refs)}-{time.monotonic_ns()}"


def order_body(ref: str, confirm: bool = False) -> dict:
    return {"partner": {"ref": "ACME"}, "client_order_ref": ref, "confirm": confirm,
            "lines": [{"product": {"sku": "FURN_7777"}, "quantity": 2}]}


def count_orders(odoo, ref: str) -> int:
    """sale.order records in the stand-in with this client_order_ref (over real HTTP)."""
    return odoo.search_count("sale.order", [["client_order_ref", "=", ref]])


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(interval)
