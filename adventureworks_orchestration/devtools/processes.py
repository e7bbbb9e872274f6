"""Starting and stopping the servers of the test deployment and the benchmarks.

Each server runs in a process group of its own (``start_new_session``), so stopping it by its PID
stops whatever it started too (a Spark worker's executors, a gRPC server's run workers). Ports
are picked free on 127.0.0.1 so several deployments can run on one machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ServerProcess:
    """A started server: its process (leader of its own group) and where its output goes."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        """``sig`` to the whole group, SIGKILL to the group if the leader outlives ``timeout``."""
        if self.running():
            signal_group(self.pid, sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                signal_group(self.pid, signal.SIGKILL)
                self.process.wait()
        signal_group(self.pid, signal.SIGKILL)  # children that outlived their leader

    def kill(self) -> None:
        """SIGKILL to the whole group at once, as a crash or a container restart would."""
        signal_group(self.pid, signal.SIGKILL)
        self.process.wait()


def signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def start_server(
    name: str,
    command: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> ServerProcess:
    """Start ``command`` in a new session with stdout and stderr to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(
            list(command),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            user=user,
            start_new_session=True,
        )
    return ServerProcess(name, process, log)


def wait_until(
    check: Callable[[], T | None],
    timeout: float,
    what: str,
    server: ServerProcess | None = None,
    interval: float = 0.5,
) -> T:
    """Poll ``check`` until it returns something truthy; fail with the server's log if it dies."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if server is not None and not server.running():
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode} while waiting for {what}; "
                f"end of {server.log}:\n{server.log_tail()}"
            )
        if time.monotonic() > deadline:
            tail = f"; end of {server.log}:\n{server.log_tail()}" if server else ""
            raise TimeoutError(f"no {what} within {timeout:.0f}s{tail}")
        time.sleep(interval)
