"""How SMN writes a moment in JSON: ISO 8601, in UTC, with a `Z` suffix (`2026-12-04T19:21:22Z`).

One convention for partners and the admin API alike. PostgreSQL hands back
timestamptz values in the session's time zone, so a value is converted to UTC
before it is written, never printed with whatever offset it arrived in.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


@overload
def utc_iso(moment: datetime) -> str: ...
@overload
def utc_iso(moment: None) -> None: ...
@overload
def utc_iso(moment: datetime | None) -> str | None: ...


def utc_iso(moment: datetime | None) -> str | None:
    """`moment` in UTC as ISO 8601 with `Z`; None stays None (a naive moment is read as local time)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
