"""What an alert is, as raised by a rule and as sent to a channel."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from smn.timefmt import epoch_iso

SEVERITIES = ("info", "warning", "critical")
MAX_REQUEST_IDS = 20
EXAMPLE_REQUEST_IDS = 5


@dataclass(frozen=True)
class Alert:
    """One occurrence raised by a rule; repeats with the same fold_key are folded together."""

    kind: str
    severity: str
    title: str
    details: dict[str, Any] = field(default_factory=dict)
    request_ids: tuple[str, ...] = ()
    fold_key: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")
        if not self.fold_key:
            object.__setattr__(self, "fold_key", self.kind)


@dataclass
class Occurrences:
    """Repeats of one fold_key raised since the manager last processed them."""

    alert: Alert
    count: int
    first_seen: float
    last_seen: float
    request_ids: list[str]

    @classmethod
    def first(cls, alert: Alert, now: float | None = None) -> "Occurrences":
        now = time.time() if now is None else now
        return cls(alert, 1, now, now, merge_request_ids([], alert.request_ids))

    def add(self, alert: Alert, now: float | None = None) -> None:
        self.alert = alert
        self.count += 1
        self.last_seen = time.time() if now is None else now
        self.request_ids = merge_request_ids(self.request_ids, alert.request_ids)


@dataclass(frozen=True)
class Message:
    """What the channels send: the alert as recorded, with how many repeats this send reports."""

    alert_id: int | None
    kind: str
    severity: str
    title: str
    details: dict[str, Any]
    request_ids: tuple[str, ...]
    count: int
    folded: int
    first_seen: float
    last_seen: float

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.alert_id, "kind": self.kind, "severity": self.severity, "title": self.title,
                "count": self.count, "folded": self.folded, "first_seen": epoch_iso(self.first_seen),
                "last_seen": epoch_iso(self.last_seen), "request_ids": list(self.request_ids[:EXAMPLE_REQUEST_IDS]),
                "details": self.details}

    @property
    def headline(self) -> str:
        repeats = f" ({self.folded} occurrences since the last message)" if self.folded > 1 else ""
        return f"[SMN {self.severity}] {self.title}{repeats}"


def merge_request_ids(known: list[str], new: tuple[str, ...] | list[str]) -> list[str]:
    """Known ids first, then new ones, without duplicates, capped at MAX_REQUEST_IDS."""
    merged = list(known)
    for request_id in new:
        if request_id and request_id not in merged and len(merged) < MAX_REQUEST_IDS:
            merged.append(request_id)
    return merged

