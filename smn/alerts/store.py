"""The alerts table: folding across processes, delivery status, listing and acknowledging."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from smn.alerts.model import Message, Occurrences, merge_request_ids
from smn.db import Database
from smn.timefmt import utc_iso

_COLUMNS = ("id, fold_key, kind, severity, title, details, request_ids, extract(epoch FROM first_seen)::float8, "
            "extract(epoch FROM last_seen)::float8, count, sent_count, extract(epoch FROM last_sent_at)::float8, "
            "sent, acknowledged_at, acknowledged_by")
_NAMES = ("id", "fold_key", "kind", "severity", "title", "details", "request_ids", "first_seen", "last_seen",
          "count", "sent_count", "last_sent_at", "sent", "acknowledged_at", "acknowledged_by")


class AlertStore:
    """Every process folds into the same row: an advisory lock per fold_key serialises them."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, batch: Occurrences, cooldown: int, sent_at: float | None = None) -> tuple[Message, bool]:
        """Fold `batch` into the open alert of its fold_key (or start one); True when it is due to be sent.

        `sent_at`: the batch was already sent at that time (while PostgreSQL was down); record it as sent.
        """
        alert = batch.alert
        with self.database.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (alert.fold_key,))
            cur.execute(f"SELECT {_COLUMNS}, last_sent_at IS NULL OR last_sent_at <= now() - make_interval(secs => %s) "
                        "FROM alerts WHERE fold_key = %s AND last_seen > now() - make_interval(secs => %s) "
                        "ORDER BY id DESC LIMIT 1", (cooldown, alert.fold_key, cooldown))
            found = cur.fetchone()
            if found is None:
                row = self._insert(cur, batch, sent_at)
                return _message(row, row["count"]), sent_at is None
            row = dict(zip(_NAMES, found))
            due = sent_at is None and found[-1]
            row = self._fold(cur, row, batch, sent_now=due, sent_at=sent_at)
            return _message(row, row["count"] - int(found[10])), due

    def due_folds(self, cooldown: int, limit: int = 50) -> list[Message]:
        """Alerts with repeats not sent yet whose cool-down is over; marked sent as they are returned."""
        with self.database.cursor() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM alerts WHERE count > sent_count "
                        "AND last_sent_at <= now() - make_interval(secs => %s) "
                        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED", (cooldown, limit))
            rows = [dict(zip(_NAMES, found)) for found in cur.fetchall()]
            messages = []
            for row in rows:
                cur.execute("UPDATE alerts SET sent_count = count, last_sent_at = now() WHERE id = %s", (row["id"],))
                messages.append(_message(row, row["count"] - row["sent_count"]))
            return messages

    def mark_sent(self, alert_id: int, channel: str, status: dict[str, Any]) -> None:
        self.database.execute("UPDATE alerts SET sent = sent || jsonb_build_object(%s, %s::jsonb) WHERE id = %s",
                              (channel, json.dumps(status), alert_id))

    def _insert(self, cur: Any, batch: Occurrences, sent_at: float | None) -> dict[str, Any]:
        alert = batch.alert
        cur.execute(
            "INSERT INTO alerts (fold_key, kind, severity, title, details, request_ids, first_seen, last_seen, "
            "count, sent_count, last_sent_at) VALUES (%s, %s, %s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s), "
            f"%s, %s, COALESCE(to_timestamp(%s), now())) RETURNING {_COLUMNS}",
            (alert.fold_key, alert.kind, alert.severity, alert.title, json.dumps(alert.details, default=str),
             batch.request_ids, batch.first_seen, batch.last_seen, batch.count, batch.count, sent_at))
        return dict(zip(_NAMES, cur.fetchone()))

    def _fold(self, cur: Any, row: dict[str, Any], batch: Occurrences, sent_now: bool,
              sent_at: float | None) -> dict[str, Any]:
        alert = batch.alert
        mark_sent = sent_now or sent_at is not None
        cur.execute(
            "UPDATE alerts SET count = count + %s, last_seen = greatest(last_seen, to_timestamp(%s)), "
            "title = %s, severity = %s, details = %s, request_ids = %s, "
            "sent_count = CASE WHEN %s THEN count + %s ELSE sent_count END, "
            "last_sent_at = CASE WHEN %s THEN COALESCE(to_timestamp(%s), now()) ELSE last_sent_at END "
            f"WHERE id = %s RETURNING {_COLUMNS}",
            (batch.count, batch.last_seen, alert.title, alert.severity, json.dumps(alert.details, default=str),
             merge_request_ids(row["request_ids"], batch.request_ids), mark_sent, batch.count, mark_sent, sent_at,
             row["id"]))
        return dict(zip(_NAMES, cur.fetchone()))


def _message(row: dict[str, Any], folded: int) -> Message:
    return Message(alert_id=row["id"], kind=row["kind"], severity=row["severity"], title=row["title"],
                   details=row["details"], request_ids=tuple(row["request_ids"]), count=row["count"],
                   folded=folded, first_seen=row["first_seen"], last_seen=row["last_seen"])


def list_alerts(database: Database, *, limit: int = 50, offset: int = 0, kind: str | None = None,
                unacknowledged: bool = False) -> list[dict[str, Any]]:
    """Newest first; for the admin UI. Times are ISO 8601 strings in UTC."""
    clauses, params = [], []
    if kind:
        clauses.append("kind = %s")
        params.append(kind)
    if unacknowledged:
        clauses.append("acknowledged_at IS NULL")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = database.fetch_all(
        "SELECT id, kind, severity, title, details, request_ids, first_seen, last_seen, count, "
        f"acknowledged_at, acknowledged_by, sent FROM alerts {where} ORDER BY last_seen DESC, id DESC "
        "LIMIT %s OFFSET %s", (*params, limit, offset))
    names = ("id", "kind", "severity", "title", "details", "request_ids", "first_seen", "last_seen", "count",
             "acknowledged_at", "acknowledged_by", "sent")
    return [{name: (utc_iso(value) if isinstance(value, datetime) else value) for name, value in zip(names, row)}
            for row in rows]


def acknowledge(database: Database, alert_id: int, who: str) -> bool:
    """Mark an alert as seen by `who`; False when there is no such alert. Acknowledging twice keeps the first."""
    return database.execute(
        "UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, now()), "
        "acknowledged_by = COALESCE(acknowledged_by, %s) WHERE id = %s", (who, alert_id)) == 1
