"""Runs on the standalone cluster: each takes only its share of the cores, executors get the S3A
jars from the cache (never a download), and every process of the deployment stays on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CORES_PER_RUN, WORKER_CORES
from .processes import LOOPBACK, command_line, listening_addresses, marked_pids

pytestmark = pytest.mark.deployment

BUNDLE_JAR = "software.amazon.awssdk_bundle"


def test_two_runs_share_the_cluster_and_their_executors_get_the_s3a_jars_from_the_cache(
    deployment, deployed_settings, spark_cluster, harness_id, tmp_path
):
    on_workers = deployment.env("code-location")  # as deployed: the workers hold the jars
    shipped = {**on_workers, "AWO_SPARK_EXECUTOR_JARS_DIR": ""}  # a cluster without them
    bucket = deployed_settings.s3.warehouse_bucket
    apps = {
        name: _start_app(env, f"s3a://{bucket}/cluster-test/{name}", tmp_path / name)
        for name, env in (("on_workers", on_workers), ("shipped", shipped))
    }
    try:
        reports = {name: _wait_ready(*app) for name, app in apps.items()}
        state = spark_cluster.state()
        listeners = listening_addresses(marked_pids(harness_id))
    finally:
        for _, folder in apps.values():
            (folder / "stop").touch()
    for process, folder in apps.values():
        assert process.wait(timeout=120) == 0, (folder / "app.log").read_text()[-3000:]

    # Both ran at once, each with its share: without spark.cores.max the second would WAIT.
    running = {app["id"]: app for app in state["activeapps"] if app["state"] == "RUNNING"}
    for report in reports.values():
        assert report["rows"] == 1000
        assert running[report["app_id"]]["cores"] == CORES_PER_RUN
    assert state["workers"][0]["coresused"] == 2 * CORES_PER_RUN <= WORKER_CORES

    # The S3A classes came from the cache: on the workers' class path, or shipped by the driver
    # from its cached files; never resolved from Maven Central.
    for name, (_, folder) in apps.items():
        assert "spark.jars.packages" not in reports[name]["config"]
        assert "resolving dependencies" not in (folder / "app.log").read_text()
    work = spark_cluster.work_dir / "worker"
    assert not list((work / reports["on_workers"]["app_id"]).rglob("*.jar"))
    assert list((work / reports["shipped"]["app_id"]).rglob(f"{BUNDLE_JAR}*.jar"))

    # Every process of the deployment (drivers and executors included) listens on loopback only.
    beyond = {
        f"{pid} {command_line(pid)[:80]}": sorted(addresses)
        for pid, addresses in listeners.items()
        if any(address not in LOOPBACK for address, _ in addresses)
    }
    assert listeners and not beyond


def _start_app(env: dict[str, str], out: str, folder: Path) -> tuple[subprocess.Popen, Path]:
    folder.mkdir()
    argv = [sys.executable, "-m", "tests.deployment.spark_app", "--out", out]
    argv += ["--ready", str(folder / "ready"), "--stop", str(folder / "stop")]
    with (folder / "app.log").open("wb") as log:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, folder


def _wait_ready(process: subprocess.Popen, folder: Path, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while not (folder / "ready").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError((folder / "app.log").read_text()[-3000:])
        time.sleep(1)
    return json.loads((folder / "ready").read_text())
