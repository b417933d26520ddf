"""The process registry: which process ("<host>:<pid>") does a piece of work, and is it alive.

A run (builder) or a training job records the process that works on it. A process that dies
cannot report, so whoever starts next on the same host asks `has_died` and closes what it left.
"""

from __future__ import annotations

import os
import socket


def this_host() -> str:
    """This machine's host name, the first half of `this_process()`."""
    return socket.gethostname()


def this_process() -> str:
    """ "<hostname>:<pid>", recorded on the runs and jobs this process works on."""
    return f"{this_host()}:{os.getpid()}"


def local_pid(process: str) -> int | None:
    """The pid of a "<host>:<pid>" on this host, else None (another host's, or not one)."""
    host, _, pid = process.rpartition(":")
    return int(pid) if host == this_host() and pid.isascii() and pid.isdigit() else None


def has_died(process: str) -> bool:
    """Whether `process` ran on this host and no longer exists (another host's never has)."""
    pid = local_pid(process)
    return pid is not None and not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's
    return True
