"""This process's id, read once per process and again after each fork.

os.getpid() is a system call (glibc keeps no cache since 2.25), and the request
path asked for it several times per request: each fork-aware part (rate limiter,
auth view, log writer, access line) checks whether it runs in the process that
started its thread.
"""
from __future__ import annotations

import os

_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def current_pid() -> int:
    """os.getpid(), without the system call."""
    return _pid


def is_running(pid: int) -> bool:
    """True while a process `pid` exists (one we may not signal counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
