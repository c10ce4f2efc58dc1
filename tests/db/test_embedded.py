"""smn.db.embedded: the wheel's holder list loses the pids of holders that died without releasing."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

import psycopg2
import pytest

from smn.db.embedded import HOLDERS_FILE, forget_dead_holders


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_dead_holders_are_dropped_and_live_ones_kept(tmp_path):
    dead = _dead_pid()
    (tmp_path / HOLDERS_FILE).write_text(json.dumps([dead, os.getpid()]))
    assert forget_dead_holders(tmp_path, contextlib.nullcontext()) == [os.getpid()]
    assert json.loads((tmp_path / HOLDERS_FILE).read_text()) == [os.getpid()]


def test_no_list_yet_is_nothing_to_do(tmp_path):
    assert forget_dead_holders(tmp_path, contextlib.nullcontext()) == []
    assert not (tmp_path / HOLDERS_FILE).exists()


def test_a_killed_holder_no_longer_keeps_the_server_running(tmp_path):
    """A process holding the server is SIGKILLed; the next holder's stop() stops the server."""
    script = ("import sys, time; from pathlib import Path; from smn.db.embedded import EmbeddedPostgres; "
              "EmbeddedPostgres(Path(sys.argv[1])).start(); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
    finally:
        holder.kill()
        holder.wait()
    from smn.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(tmp_path).start()
    url = embedded.url()
    embedded.stop()
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "the server outlived its last holder"
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=2).close()
