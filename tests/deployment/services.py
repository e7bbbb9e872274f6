"""The compose stack's Dagster services, run on this machine the way their containers run them.

Each service gets what its container would have: the command and environment of its
docker-compose.yml entry (interpolated against a ``.env``-like mapping, as ``docker compose``
does), a ``DAGSTER_HOME`` of its own holding the files the Dockerfile copies there
(``deploy/dagster.yaml``, ``deploy/workspace.yaml``), and a ``/tmp`` and compute-log folder of its
own, so services share nothing their containers would not share. Only container-only parts are
mapped: ``0.0.0.0`` becomes 127.0.0.1, host names and ports come from the ``.env`` mapping (every
service is on 127.0.0.1), image paths become the project's files, and the programs and Java are
this machine's.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from adventureworks_orchestration.devtools.processes import (
    ServerProcess,
    free_port,
    start_server,
    wait_until,
)

from ..conftest import SHORT_LIVED_JVM
from . import compose
from .graphql import GraphQL, location_loaded, unhealthy_daemons

VENV_BIN = Path(sys.executable).parent
# Marks every process the harness starts (inherited by their children) so a test can find them.
HARNESS_ID_VARIABLE = "DEPLOYMENT_TEST_MARK"
# Variables a developer's shell may hold that a container would not see.
_NOT_INHERITED = ("AWO_", "AWS_", "DAGSTER_", "SPARK_")


@dataclass
class Deployment:
    """The code location, webserver and daemon of docker-compose.yml, on 127.0.0.1."""

    root: Path
    dotenv: dict[str, str]
    harness_id: str
    webserver_port: int = field(default_factory=free_port)
    servers: dict[str, ServerProcess] = field(default_factory=dict)

    @property
    def graphql(self) -> GraphQL:
        return GraphQL(f"http://127.0.0.1:{self.webserver_port}")

    def env(self, service: str) -> dict[str, str]:
        """The process environment of ``service``, as its container would have it."""
        folder = self.root / service
        home, tmp, logs = folder / "home", folder / "tmp", self.compute_logs_dir(service)
        if not home.exists():
            for private in (home, tmp, logs):
                private.mkdir(parents=True)
            for image_path, source in compose.copied_into_image().items():
                if Path(image_path).parent == Path(compose.image_env()["DAGSTER_HOME"]):
                    shutil.copy(source, home / source.name)
        base = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
        return {
            **base,
            **compose.environment(service, self.dotenv),
            # Paths inside a container are its own: each service gets folders of its own.
            "DAGSTER_HOME": str(home),
            "TMPDIR": str(tmp),
            "DAGSTER_COMPUTE_LOGS_DIR": str(logs),
            "SPARK_LOCAL_IP": "127.0.0.1",  # this machine's Spark services stay on loopback
            **SHORT_LIVED_JVM,
            HARNESS_ID_VARIABLE: self.harness_id,
        }

    def compute_logs_dir(self, service: str) -> Path:
        """Where ``service`` stages compute logs (``DAGSTER_COMPUTE_LOGS_DIR``, its own)."""
        return self.root / service / "compute-logs"

    def command(self, service: str) -> list[str]:
        """The service's compose command with container-only values mapped to this machine."""
        words = compose.command(service, self.dotenv)
        image_files = compose.copied_into_image()
        mapped = []
        for index, word in enumerate(words):
            if word == "0.0.0.0":
                word = "127.0.0.1"
            elif word in image_files:
                word = str(image_files[word])
            elif service == "webserver" and index > 0 and words[index - 1] == "-p":
                word = str(self.webserver_port)
            mapped.append(word)
        executable = VENV_BIN / mapped[0]
        return [str(executable) if executable.exists() else mapped[0], *mapped[1:]]

    def run_once(self, service: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """A one-shot service (``create-buckets``), as ``docker compose up`` runs it."""
        return self.exec(service, self.command(service), timeout)

    def exec(
        self, service: str, argv: list[str], timeout: float = 600
    ) -> subprocess.CompletedProcess:
        """``docker compose exec <service> <argv>``: a command in that service's environment."""
        executable = VENV_BIN / argv[0]
        argv = [str(executable) if executable.exists() else argv[0], *argv[1:]]
        return subprocess.run(
            argv,
            env=self.env(service),
            cwd=compose.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, service: str) -> ServerProcess:
        server = start_server(
            service,
            self.command(service),
            self.root / f"{service}.log",
            env=self.env(service),
            cwd=compose.PROJECT_ROOT,
        )
        self.servers[service] = server
        return server

    def start_code_location(self, timeout: float = 300) -> None:
        server = self.start("code-location")
        check = compose.healthcheck("code-location", self.dotenv)
        check = [str(VENV_BIN / check[0]), *check[1:]]
        port = int(self.dotenv["DAGSTER_CODE_SERVER_PORT"])

        def healthy() -> bool:
            # Each check is a Python process of its own: run it once the port is open.
            if not _port_open(port):
                return False
            result = subprocess.run(check, capture_output=True, env=self.env("code-location"))
            return result.returncode == 0

        wait_until(
            healthy, timeout, "a healthy code location (its compose health check)", server, 1
        )

    def start_all(self, timeout: float = 300) -> None:
        """In compose's order: code location (healthy), then webserver and daemon."""
        self.start_code_location(timeout)
        webserver = self.start("webserver")
        wait_until(lambda: _answers(self.graphql), timeout, "the webserver", webserver, 1)
        wait_until(lambda: location_loaded(self.graphql), timeout, "the code location", webserver)

    def start_daemon(self, timeout: float = 300) -> None:
        daemon = self.start("daemon")
        wait_until(
            lambda: not unhealthy_daemons(self.graphql), timeout, "healthy daemons", daemon, 2
        )

    def restart_code_location(self, timeout: float = 300) -> None:
        """Kill the code location with everything it runs, as a container restart does."""
        self.servers.pop("code-location").kill()
        self.start_code_location(timeout)
        wait_until(lambda: location_loaded(self.graphql), timeout, "the code location reloaded")

    def stop(self) -> None:
        for name in ("daemon", "webserver", "code-location"):
            if name in self.servers:
                self.servers.pop(name).stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}:\n{server.log_tail(60)}" for name, server in self.servers.items()
        )


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _answers(api: GraphQL) -> bool:
    try:
        api("{ version }")
        return True
    except OSError:
        return False
