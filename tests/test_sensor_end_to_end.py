"""End to end: a running Dagster daemon with the landing sensor; a day's files land, its run
completes, and the day's transformed data is in the warehouse."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from adventureworks_orchestration.partitions import days_in_range

from .conftest import make_settings, write_landing

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_landed_files_start_a_run_that_completes(tmp_path):
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    start = yesterday - dt.timedelta(days=3)
    settings = make_settings(tmp_path / "data", partitions_start=start.isoformat())
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AWO_DATA_DIR": str(settings.data_dir),
        "AWO_PARTITIONS_START": settings.partitions_start,
        "AWO_SENSOR_INTERVAL_SECONDS": "2",
    }
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=open(tmp_path / "daemon.log", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        write_landing(settings, days_in_range(yesterday, yesterday), bookings_per_day=50)
        run = _wait_for_finished_run(home, timeout=300)
    finally:
        os.killpg(daemon.pid, signal.SIGINT)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()

    assert run.status == dg.DagsterRunStatus.SUCCESS, (tmp_path / "daemon.log").read_text()[-3000:]
    assert run.tags["awo/trigger"] == "landing"
    assert run.tags["dagster/asset_partition_range_start"] == yesterday.isoformat()
    day_folder = settings.warehouse_dir / "labs/transformed/bookings" / f"booking_date={yesterday}"
    assert [p.name for p in day_folder.iterdir() if p.name.startswith("part-")]


def _wait_for_finished_run(home: Path, timeout: float) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            finished = [
                record.dagster_run
                for record in instance.get_run_records()
                if record.dagster_run.is_finished
            ]
            if finished:
                return finished[0]
            time.sleep(2)
    raise AssertionError(f"no run finished within {timeout}s; see daemon.log")
