"""smn.process: the cached process id follows forks."""
from __future__ import annotations

import os

import pytest

from smn.process import current_pid


def test_current_pid_is_this_process_and_the_childs_after_a_fork():
    assert current_pid() == os.getpid()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        os.write(write, f"{current_pid()} {os.getpid()}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        seen, actual = answer.read().split()
    os.waitpid(child, 0)
    assert seen == actual == str(child)
    assert current_pid() == os.getpid()


def test_is_running_tells_a_live_process_from_a_finished_one():
    import subprocess
    import sys

    from smn.process import is_running

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert is_running(os.getpid()) and not is_running(child.pid)


def test_is_running_counts_a_process_we_may_not_signal(monkeypatch):
    """kill(pid, 0) answers EPERM for another user's process (pid 1 when not root): it exists."""
    from smn.process import is_running

    def refuse(pid: int, signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refuse)
    assert is_running(1) is True


@pytest.mark.skipif(os.geteuid() == 0, reason="root may signal every process")
def test_is_running_pid_1_as_another_user():
    from smn.process import is_running

    assert is_running(1) is True
