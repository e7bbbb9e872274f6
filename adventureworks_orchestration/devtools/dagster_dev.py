"""Start ``dg dev`` (webserver, daemon, code server) as one process group and stop all of it.

Started from a script, ``dagster dev``/``dg dev`` ignores ``kill PID``: a shell starts background
jobs with Ctrl-C (SIGINT) ignored, and Dagster maps SIGTERM onto its SIGINT handler, so both are
ignored and the webserver, daemon, code servers, gRPC sockets and temp folders stay behind. Here
the child gets SIGINT back to its default and a session of its own; ``stop`` sends SIGINT to the
whole group, which is Dagster's Ctrl-C shutdown (it removes its sockets and temp folders), and
kills what is left of the group after a timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .processes import signal_group

PROJECT_FILE = "pyproject.toml"


@dataclass
class DagsterDev:
    process: subprocess.Popen
    url: str

    @property
    def pgid(self) -> int:
        return self.process.pid  # the leader of its own session

    def wait_until_serving(self, timeout: float = 180.0) -> None:
        """Block until the webserver answers, or raise naming why it did not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dg dev exited with code {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"the Dagster UI did not answer on {self.url} within {timeout:.0f}s")

    def stop(self, timeout: float = 90.0) -> int:
        """Ctrl-C for the whole group, then SIGKILL for anything still there after ``timeout``."""
        signal_group(self.pgid, signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + timeout
        while group_alive(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.2)  # the webserver and daemon finish after dg dev itself
        if group_alive(self.pgid):
            signal_group(self.pgid, signal.SIGKILL)
        self.process.wait()
        return self.process.returncode


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still running (zombies do not count)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def find_project_dir(start: Path | None = None) -> Path | None:
    """The checkout this package runs from (the folder with pyproject.toml), if any."""
    here = (start or Path(__file__)).resolve()
    for folder in here.parents:
        if (folder / PROJECT_FILE).exists():
            return folder
    return None


def dagster_dev_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """``dg dev`` from this environment; ``dagster dev -m`` when dg is not installed."""
    bin_dir = Path(sys.executable).parent
    dg = bin_dir / "dg"
    if dg.exists() or shutil.which("dg"):
        return [str(dg if dg.exists() else "dg"), "dev", "--port", str(port), "--host", host]
    return [
        str(bin_dir / "dagster"),
        "dev",
        "-m",
        "adventureworks_orchestration.definitions",
        "--port",
        str(port),
        "--host",
        host,
    ]


def start_dagster_dev(
    project_dir: Path,
    dagster_home: Path,
    port: int = 3000,
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    output: IO | int | None = None,
) -> DagsterDev:
    """Start the UI on ``host:port`` for the project in ``project_dir``, on ``dagster_home``."""
    child_env = {**(os.environ if env is None else env), "DAGSTER_HOME": str(dagster_home)}
    process = subprocess.Popen(
        dagster_dev_command(port, host),
        cwd=project_dir,
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    return DagsterDev(process=process, url=f"http://{host}:{port}")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
