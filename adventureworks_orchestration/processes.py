"""Is a process still alive? Only answerable on the machine (and PID namespace) it ran on."""

from __future__ import annotations

import os
import socket


def machine_identity() -> str:
    """Host name plus PID namespace: process ids are only comparable within both."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{namespace}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
