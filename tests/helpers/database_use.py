"""Count what touches PostgreSQL from the threads a test cares about (the request path must not)."""
from __future__ import annotations

from typing import Any, Callable

import psycopg2
import pytest

from smn.db import Database

DATABASE_ENTRY_POINTS = ("connection", "cursor", "fetch_all", "fetch_one", "execute", "ping")


def count_database_use(monkeypatch: pytest.MonkeyPatch, counted: Callable[[], bool]) -> list[str]:
    """Patch every way SMN reaches PostgreSQL; the returned list gets each use for which `counted()` is true.

    Background threads (auth listener, rate-limit leases, snapshot writer) use the
    database by design, on their own schedule: `counted` tells the request's
    thread from them. Undone with the monkeypatch.
    """
    used: list[str] = []

    def counting(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if counted():
                used.append(name)
            return original(*args, **kwargs)

        return wrapper

    for name in DATABASE_ENTRY_POINTS:
        monkeypatch.setattr(Database, name, counting(name, getattr(Database, name)))
    monkeypatch.setattr(psycopg2, "connect", counting("psycopg2.connect", psycopg2.connect))
    return used
