"""smn.process: the cached process id follows forks."""
from __future__ import annotations

import os

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
