"""AlertManager: fold, record, log and send alerts, never on the caller's thread.

raise_alert() only merges the occurrence into an in-memory map keyed by
fold_key (bounded: at most `max_pending` keys) and wakes the processor thread,
so a partner request that trips a rule pays for a dict update and nothing else.

The processor thread logs each batch as one JSON line (logger smn.alerts),
folds it into PostgreSQL (one row per fold_key and cool-down, shared by every
process) and hands messages that are due to one sender thread per channel,
each with a bounded queue: a hanging webhook never delays e-mail. Sends are
retried `attempts` times; their outcome is written on the alert row. When
PostgreSQL is down, folding falls back to this process's memory, alerts are
still sent, and the batches are recorded once it answers again.
"""
from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from typing import Any

import psycopg2

from smn.alerts.channels import Channel, ChannelError, channels_from_settings
from smn.alerts.model import Alert, Message, Occurrences
from smn.alerts.store import AlertStore
from smn.db import Database
from smn.process import current_pid
from smn.settings import Settings

log = logging.getLogger("smn.alerts")
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}
_DB_ERRORS = (psycopg2.Error, OSError)


class AlertManager:
    def __init__(self, store: AlertStore | None, channels: list[Channel], cooldown: int, attempts: int = 3,
                 max_pending: int = 1000, queue_size: int = 100, retry_delay: float = 1.0,
                 tick: float = 1.0) -> None:
        self.store = store
        self.channels = channels
        self.cooldown = cooldown
        self.attempts = attempts
        self.max_pending = max_pending
        self.queue_size = queue_size
        self.retry_delay = retry_delay
        self.tick = tick
        self._lock = threading.Lock()
        self._pending: dict[str, Occurrences] = {}
        self._wake = threading.Event()
        self._busy = False
        self._memory: dict[str, tuple[float, int]] = {}
        self._unrecorded: collections.deque[tuple[Occurrences, float | None]] = collections.deque(maxlen=1000)
        self._queues: dict[str, queue.Queue] = {}
        self._threads: list[threading.Thread] = []
        self._pid: int | None = None
        self._stopping = threading.Event()

    def raise_alert(self, alert: Alert) -> None:
        """Queue one occurrence; returns at once whatever the channels or PostgreSQL do."""
        with self._lock:
            accepted = self._merge(alert)
        if not accepted:
            log.warning("alert dropped: too many distinct alerts pending", extra={"alert_kind": alert.kind})
            return
        self._ensure_started()
        self._wake.set()

    def _merge(self, alert: Alert) -> bool:
        """Fold into the pending batch of its key; False when the map is full. The caller holds the lock."""
        batch = self._pending.get(alert.fold_key)
        if batch is not None:
            batch.add(alert)
        elif len(self._pending) >= self.max_pending:
            return False
        else:
            self._pending[alert.fold_key] = Occurrences.first(alert)
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once everything raised so far is recorded and sent (or given up on); for tests and shutdown."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self._pending and not self._busy
            if idle and all(q.unfinished_tasks == 0 for q in self._queues.values()):
                return True
            time.sleep(0.01)
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Send what is pending (within `timeout`), then stop the threads."""
        if self._pid == current_pid():
            self.wait_idle(timeout)
        self._stopping.set()
        self._wake.set()

    def _ensure_started(self) -> None:
        """Threads do not survive a fork: each process starts its own on first use."""
        if self._pid == current_pid():
            return
        with self._lock:
            if self._pid == current_pid():
                return
            self._stopping.clear()
            self._queues = {channel.name: queue.Queue(self.queue_size) for channel in self.channels}
            self._threads = [threading.Thread(target=self._process_loop, name="smn-alerts", daemon=True)]
            self._threads += [threading.Thread(target=self._send_loop, args=(channel,), daemon=True,
                                               name=f"smn-alerts-{channel.name}") for channel in self.channels]
            for thread in self._threads:
                thread.start()
            self._pid = current_pid()

    def _process_loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            with self._lock:
                batches, self._pending = self._pending, {}
                self._busy = True
            try:
                for batch in batches.values():
                    self._process(batch)
                self._send_due_folds()
                self._record_unrecorded()
            except Exception:
                log.exception("alert processing failed")
            finally:
                with self._lock:
                    self._busy = False

    def _process(self, batch: Occurrences) -> None:
        alert = batch.alert
        log.log(_LEVELS[alert.severity], f"alert: {alert.title}", extra={
            "alert_kind": alert.kind, "severity": alert.severity, "fold_key": alert.fold_key,
            "occurrences": batch.count, "request_ids": batch.request_ids, "details": alert.details,
            "request_id": batch.request_ids[0] if batch.request_ids else None})
        try:
            if self.store is None:
                raise OSError("no alert store")
            message, due = self.store.record(batch, self.cooldown)
        except _DB_ERRORS as exc:
            message, due = self._fold_in_memory(batch)
            self._unrecorded.append((batch, time.time() if due else None))
            if self.store is not None:
                log.warning("alert not recorded yet: PostgreSQL unavailable", extra={
                    "alert_kind": alert.kind, "error": type(exc).__name__})
        if due:
            self._dispatch(message)

    def _fold_in_memory(self, batch: Occurrences) -> tuple[Message, bool]:
        """This process's own fold while PostgreSQL cannot do it for every process."""
        last_sent, held = self._memory.get(batch.alert.fold_key, (0.0, 0))
        held += batch.count
        due = time.time() - last_sent >= self.cooldown
        self._memory[batch.alert.fold_key] = (time.time(), 0) if due else (last_sent, held)
        alert = batch.alert
        message = Message(None, alert.kind, alert.severity, alert.title, alert.details, tuple(batch.request_ids),
                          held, held, batch.first_seen, batch.last_seen)
        return message, due

    def _send_due_folds(self) -> None:
        if self.store is None:
            return
        try:
            for message in self.store.due_folds(self.cooldown):
                self._dispatch(message)
        except _DB_ERRORS:
            pass

    def _record_unrecorded(self) -> None:
        while self._unrecorded and self.store is not None:
            batch, sent_at = self._unrecorded[0]
            try:
                self.store.record(batch, self.cooldown, sent_at=sent_at or batch.last_seen)
            except _DB_ERRORS:
                return
            self._unrecorded.popleft()

    def _dispatch(self, message: Message) -> None:
        for name, channel_queue in self._queues.items():
            try:
                channel_queue.put_nowait(message)
            except queue.Full:
                log.warning("alert not sent: channel queue full", extra={"channel": name, "alert_kind": message.kind})

    def _send_loop(self, channel: Channel) -> None:
        channel_queue = self._queues[channel.name]
        while not self._stopping.is_set():
            try:
                message = channel_queue.get(timeout=self.tick)
            except queue.Empty:
                continue
            try:
                self._send(channel, message)
            finally:
                channel_queue.task_done()

    def _send(self, channel: Channel, message: Message) -> None:
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                channel.send(message)
                self._mark(message, channel.name, {"status": "sent", "attempts": attempt})
                return
            except ChannelError as exc:
                error = str(exc)
            except Exception as exc:
                error = type(exc).__name__
            log.warning("alert send failed", extra={"channel": channel.name, "alert_kind": message.kind,
                                                    "attempt": attempt, "error": error})
            if attempt < self.attempts:
                self._stopping.wait(self.retry_delay * attempt)
        log.error("alert not sent: giving up", extra={"channel": channel.name, "alert_kind": message.kind,
                                                     "attempts": self.attempts, "error": error})
        self._mark(message, channel.name, {"status": "failed", "attempts": self.attempts, "error": error})

    def _mark(self, message: Message, channel: str, status: dict[str, Any]) -> None:
        if message.alert_id is None or self.store is None:
            return
        try:
            self.store.mark_sent(message.alert_id, channel, {**status, "at": time.time()})
        except _DB_ERRORS:
            log.warning("alert delivery status not recorded", extra={"channel": channel})


def manager_from_settings(settings: Settings, database: Database) -> AlertManager:
    """Channels from SMN_ALERT_*; no thread starts before the first alert is raised."""
    return AlertManager(AlertStore(database), channels_from_settings(settings), settings.alert_cooldown,
                        settings.alert_send_attempts)
