"""NotifyListener, the LISTEN thread under the auth view and the builder registry, against a real PostgreSQL."""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import pytest

from smn.db.listen import NotifyListener
from tests.auth.helpers import sql

CHANNEL = "smn_test_listen"


class RecordingListener(NotifyListener):
    channel = CHANNEL
    application_name = "smn-test-listen"
    log = logging.getLogger("smn.test_listen")

    def __init__(self, database_url: str, resync_interval: float = 3600) -> None:
        super().__init__("smn-test-listener", database_url)
        self.interval = resync_interval
        self.loads = 0
        self.payloads: list[str] = []
        self.changed = threading.Condition()

    @property
    def resync_interval(self) -> float:
        return self.interval

    def load(self, cur: Any) -> None:
        cur.execute("SELECT 1")
        with self.changed:
            self.loads += 1
            self.changed.notify_all()

    def notified(self, cur: Any, notifications: list) -> None:
        with self.changed:
            self.payloads.extend(n.payload for n in notifications)
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 10.0) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, timeout)


def _notify(database_url: str, payload: str) -> None:
    sql(database_url, "SELECT pg_notify(%s, %s)", (CHANNEL, payload))


def test_loads_then_applies_notifications_in_order(database_url):
    listener = RecordingListener(database_url)
    listener.start()
    try:
        assert listener.wait(lambda: listener.loads == 1)
        for number in range(5):
            _notify(database_url, f"n{number}")
        assert listener.wait(lambda: len(listener.payloads) == 5)
        assert listener.payloads == [f"n{number}" for number in range(5)] and listener.loads == 1
    finally:
        listener.stop()


def test_reloads_every_resync_interval(database_url):
    listener = RecordingListener(database_url, resync_interval=0.2)
    listener.start()
    try:
        assert listener.wait(lambda: listener.loads >= 3)
    finally:
        listener.stop()


def test_a_killed_connection_is_replaced_and_the_view_loaded_again(database_url):
    listener = RecordingListener(database_url)
    listener.start()
    try:
        assert listener.wait(lambda: listener.loads == 1)
        killed = listener.backend_pid
        sql(database_url, "SELECT pg_terminate_backend(%s)", (killed,))
        assert listener.wait(lambda: listener.loads == 2)
        assert listener.connections == 2 and listener.backend_pid != killed
        _notify(database_url, "after")
        assert listener.wait(lambda: listener.payloads == ["after"])
    finally:
        listener.stop()


def test_stop_wakes_the_thread_at_once_and_closes_its_pipe(database_url):
    listener = RecordingListener(database_url)
    listener.start()
    assert listener.wait(lambda: listener.loads == 1)
    pipe = {fd: os.fstat(fd).st_ino for fd in (listener._wake_read, listener._wake_write)}
    started = time.monotonic()
    listener.stop()
    assert not listener.is_alive() and time.monotonic() - started < 2, "it sleeps an hour between resyncs"
    for fd, inode in pipe.items():
        try:
            still = os.fstat(fd).st_ino == inode  # the number may have been reused for another file since
        except OSError:
            still = False
        assert not still, f"fd {fd} of the wake pipe is still open"


def test_a_second_stop_leaves_the_reused_descriptors_alone(database_url):
    listener = RecordingListener(database_url)
    listener.start()
    assert listener.wait(lambda: listener.loads == 1)
    listener.stop()
    read, write = os.pipe()  # the lowest free numbers: likely the wake pipe's old ones
    try:
        listener.stop()
        os.write(write, b"still open")
        assert os.read(read, 16) == b"still open"
    finally:
        os.close(read)
        os.close(write)


def test_a_listener_must_say_how_to_load_and_apply():
    class Incomplete(NotifyListener):
        channel = CHANNEL
        application_name = "smn-test-incomplete"
        log = logging.getLogger("smn.test_listen")
        resync_interval = 60.0

        def load(self, cur: Any) -> None:
            pass

    with pytest.raises(TypeError, match="notified"):
        Incomplete("smn-test-incomplete", "postgresql:///unused")
