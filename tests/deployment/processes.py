"""The processes a test deployment started, found by the marker they all inherit: what they
listen on, and whether any is left once the deployment is stopped."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from .services import HARNESS_ID_VARIABLE

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def marked_pids(harness_id: str) -> list[int]:
    """Every live process whose environment carries this deployment's marker."""
    marker = f"{HARNESS_ID_VARIABLE}={harness_id}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def listening_addresses(pids: list[int]) -> dict[int, set[tuple[str, int]]]:
    """pid -> the (address, port) pairs its TCP listening sockets are bound to."""
    listeners = _listening_sockets()
    found: dict[int, set[tuple[str, int]]] = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        for link in links:
            if link.startswith("socket:[") and int(link[8:-1]) in listeners:
                found.setdefault(pid, set()).add(listeners[int(link[8:-1])])
    return found


def _listening_sockets() -> dict[int, tuple[str, int]]:
    """inode -> (address, port) of every TCP socket in LISTEN state (/proc/net/tcp, tcp6)."""
    sockets = {}
    for table, decode in (("tcp", _ipv4), ("tcp6", _ipv6)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A":  # TCP_LISTEN
                continue
            address, port = fields[1].split(":")
            sockets[int(fields[9])] = (decode(address), int(port, 16))
    return sockets


def _ipv4(hex_address: str) -> str:
    return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))


def _ipv6(hex_address: str) -> str:
    import ipaddress

    words = [hex_address[i : i + 8] for i in range(0, 32, 8)]
    raw = b"".join(bytes.fromhex(word)[::-1] for word in words)
    address = ipaddress.IPv6Address(raw)
    return f"::ffff:{address.ipv4_mapped}" if address.ipv4_mapped else str(address)


def kill_leftovers(harness_id: str) -> list[str]:
    """SIGKILL whatever still carries the marker; returns their command lines."""
    left = [(pid, command_line(pid)) for pid in marked_pids(harness_id)]
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [f"{pid}: {cmd}" for pid, cmd in left]
