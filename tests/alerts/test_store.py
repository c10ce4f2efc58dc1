"""AlertStore.record: a repeat within the fold window is due again only once the cool-down has passed."""
from __future__ import annotations

import uuid

import pytest

from smn.alerts.channels import message_text, webhook_payload
from smn.alerts.model import Alert, Message, Occurrences
from smn.alerts.store import AlertStore


def _batch(fold_key: str) -> Occurrences:
    return Occurrences.first(Alert("job_failed", "warning", "an outbox job failed", {"n": 1}, ("req-1",),
                                   fold_key=fold_key))


@pytest.mark.parametrize(("sent_ago", "due"), [("10 minutes", True), ("10 seconds", False)])
def test_a_repeat_is_due_only_once_the_cooldown_has_passed(database, sent_ago, due):
    store, key = AlertStore(database), f"fold-{uuid.uuid4().hex[:8]}"
    assert store.record(_batch(key), cooldown=300)[1] is True
    database.execute("UPDATE alerts SET last_sent_at = now() - %s::interval WHERE fold_key = %s", (sent_ago, key))
    message, sent = store.record(_batch(key), cooldown=300)
    assert sent is due and message.count == 2
    assert database.fetch_one("SELECT sent_count FROM alerts WHERE fold_key = %s", (key,)) == (2 if due else 1,)


def test_a_repeat_recorded_as_already_sent_is_never_due(database):
    store, key = AlertStore(database), f"fold-{uuid.uuid4().hex[:8]}"
    store.record(_batch(key), cooldown=300)
    database.execute("UPDATE alerts SET last_sent_at = now() - interval '1 hour' WHERE fold_key = %s", (key,))
    assert store.record(_batch(key), cooldown=300, sent_at=1_700_000_000.0)[1] is False


def test_channels_show_first_and_last_seen_in_utc():
    message = Message(7, "job_failed", "warning", "an outbox job failed", {}, ("req-1",), 3, 2,
                      1_700_000_000.0, 1_700_000_060.0)
    fields = {field["title"]: field["value"] for field in webhook_payload(message)["attachments"][0]["fields"]}
    assert fields["first seen"] == "2023-11-14T22:13:20Z" and fields["last seen"] == "2023-11-14T22:14:20Z"
    assert "first seen 2023-11-14T22:13:20Z, last seen 2023-11-14T22:14:20Z" in message_text(message)
