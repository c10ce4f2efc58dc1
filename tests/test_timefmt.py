"""smn.timefmt: every JSON timestamp is ISO 8601 in UTC with a `Z` suffix."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from smn.logs import iso_time
from smn.timefmt import epoch_iso, utc_iso


def test_an_offset_moment_is_written_in_utc_with_z():
    moment = datetime(2026, 12, 4, 21, 21, 22, tzinfo=timezone(timedelta(hours=2)))
    assert utc_iso(moment) == "2026-12-04T19:21:22Z"


def test_a_utc_moment_keeps_its_microseconds():
    assert utc_iso(datetime(2026, 12, 4, 19, 21, 22, 5000, tzinfo=timezone.utc)) == "2026-12-04T19:21:22.005000Z"


def test_no_moment_is_none():
    assert utc_iso(None) is None


def test_seconds_drop_the_fraction():
    assert utc_iso(datetime(2026, 12, 4, 19, 21, 22, 5000, tzinfo=timezone.utc), "seconds") == "2026-12-04T19:21:22Z"


def test_epoch_seconds_are_written_to_the_second():
    assert epoch_iso(1_764_876_082.9) == "2025-12-04T19:21:22Z"
    assert epoch_iso(1_764_876_082) == "2025-12-04T19:21:22Z"


def test_log_lines_use_the_same_convention():
    assert iso_time(1_764_876_082.4745) == "2025-12-04T19:21:22.474Z"
