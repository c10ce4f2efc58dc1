"""How SMN writes a moment in JSON: ISO 8601, in UTC, with a `Z` suffix (`2026-12-04T19:21:22Z`).

One convention for partners, the admin API, the CLI's JSON and alerts. PostgreSQL
hands back timestamptz values in the session's time zone, so a value is
converted to UTC before it is written, never printed with whatever offset it
arrived in. Log lines follow it too, through smn.logs.iso_time, which formats
each second once because it runs for every line.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import overload


@overload
def utc_iso(moment: datetime, timespec: str = ...) -> str: ...
@overload
def utc_iso(moment: None, timespec: str = ...) -> None: ...
@overload
def utc_iso(moment: datetime | None, timespec: str = ...) -> str | None: ...


def utc_iso(moment: datetime | None, timespec: str = "auto") -> str | None:
    """`moment` in UTC as ISO 8601 with `Z`; None stays None (a naive moment is read as local time).

    `timespec` as datetime.isoformat takes it ("seconds" drops the fraction).
    """
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def epoch_iso(epoch: float) -> str:
    """Epoch seconds (a JWT's iat/exp, an alert's first and last time) to the second, with `Z`."""
    return utc_iso(datetime.fromtimestamp(int(epoch), tz=timezone.utc))
