"""End to end on the embedded instance: a running Dagster daemon with the landing sensor; a day's
files land and start a run, the run's worker dies mid-run (what an out-of-memory kill looks like),
the daemon's run retries re-execute it, and the day's transformed data lands with nobody touching
anything. (A run that just completes is tests/deployment/test_sensor_ingestion.py's case, on the
deployed stack.)"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml

from adventureworks_orchestration.dagster_home import EMBEDDED_INSTANCE_CONFIG
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.settings import Settings

from .conftest import make_settings, write_landing

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def running_daemon(
    tmp_path: Path, instance_config: dict
) -> Iterator[tuple[Path, Settings, str, int]]:
    """A dagster-daemon (sensor, run queue, run retries) over a fresh home and a data folder whose
    partitions start three days ago; yields the home, settings, yesterday and the daemon's
    session id; stopped, with everything it started, by its process group."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    settings = make_settings(
        tmp_path / "data", partitions_start=(yesterday - dt.timedelta(days=3)).isoformat()
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config))
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
        yield home, settings, yesterday.isoformat(), daemon.pid
    finally:
        os.killpg(daemon.pid, signal.SIGINT)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()


def test_a_run_whose_worker_is_killed_is_retried_and_the_day_lands(tmp_path):
    config = {**EMBEDDED_INSTANCE_CONFIG, "telemetry": {"enabled": False}}
    with running_daemon(tmp_path, config) as (home, settings, day, session):
        write_landing(settings, days_in_range(day, day), bookings_per_day=50)
        first = _wait_for_runs(
            home, lambda runs: any(r.status == dg.DagsterRunStatus.STARTED for r in runs), 300
        )[0]
        killed = _kill_run_worker(session)
        runs = _wait_for_runs(
            home, lambda runs: any(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), 400
        )
        time.sleep(6)  # a few more sensor ticks: nothing else may be requested
        runs = _wait_for_runs(home, lambda runs: True, 10)

    log = (tmp_path / "daemon.log").read_text()[-3000:]
    assert killed, "the run worker was found and killed"
    by_id = {run.run_id: run for run in runs}
    assert by_id[first.run_id].status == dg.DagsterRunStatus.FAILURE, log
    assert len(runs) == 2, [(r.run_id, r.status, r.parent_run_id) for r in runs]
    assert first.tags["awo/trigger"] == "landing", "the sensor's run"
    assert first.tags["dagster/asset_partition_range_start"] == day
    retry = next(run for run in runs if run.run_id != first.run_id)
    assert retry.status == dg.DagsterRunStatus.SUCCESS, log
    assert retry.parent_run_id == first.run_id, "Dagster's run retry, not a new request"
    assert retry.tags["awo/landing_request"] == first.tags["awo/landing_request"]
    assert _transformed_files(settings, day)


def _kill_run_worker(session: int, timeout: float = 60) -> bool:
    """SIGKILL the process executing the run (a multiprocessing child of the code server, in
    the daemon's session) once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                if os.getsid(pid) != session or b"spawn_main" not in cmdline:
                    continue
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            os.kill(pid, signal.SIGKILL)
            return True
        time.sleep(0.2)
    return False


def _transformed_files(settings, day: str) -> list[str]:
    folder = settings.warehouse_dir / "labs/transformed/bookings" / f"booking_date={day}"
    return [p.name for p in folder.glob("write=*/part-*")]  # storage/layout.py's data keys


def _wait_for_runs(home: Path, done, timeout: float) -> list[dg.DagsterRun]:
    """The runs, oldest first, once ``done(runs)`` holds."""
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            records = sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)
            runs = [record.dagster_run for record in records]
            if runs and done(runs):
                return runs
            time.sleep(0.5)
    raise AssertionError(f"runs not as expected within {timeout}s; see daemon.log")
