"""kill -9 of a real `dg launch` of a multi-day range, at random moments, again and again: every
table-day the platform reads is wholly the old or wholly the new version, and a re-run repairs."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import time

import pytest

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, S3LandingSink
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable
from adventureworks_orchestration.storage.s3 import s3_client

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env, prepare_instance
from .conftest import warehouse_view
from .pipeline_helpers import ALL_ASSETS
from .table_helpers import day_checksum, leftovers

DAYS = days_in_range("2024-03-01", "2024-03-03")
# Five kills spread over the run's writes and publishes (AWO_TEST_KILLS=20 for a longer hunt):
# each costs a `dg launch` (~15 s of JVM and Dagster start before the work). What a kill leaves
# after EACH store call of the publish is made deterministically in tests/test_publish_faults.py
# (the call fails and every later one too, as if the process had died there).
KILLS = int(os.environ.get("AWO_TEST_KILLS", "5"))


def _land(settings, seed: int) -> None:
    config = GeneratorConfig(bookings_per_day=150, seed=seed)
    if settings.uses_s3:
        sink = S3LandingSink(s3_client(settings.s3), settings.s3.landing_bucket)
        LandingWriter(sink).write(DAYS, config)
    else:
        LandingWriter.local(settings.landing_dir).write(DAYS, config)


def _launch(settings) -> subprocess.Popen:
    command = [
        bin_path("dg"), "launch", "--assets", "group:labs",
        "--partition-range", f"{DAYS[0]}...{DAYS[-1]}",
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=cli_env(settings), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def _wait_for_spark(launch: subprocess.Popen) -> None:
    for line in launch.stdout:
        if "ready in" in line:
            return


def _seconds_after_spark_is_ready(launch: subprocess.Popen) -> float:
    _wait_for_spark(launch)
    ready = time.monotonic()
    for _ in launch.stdout:
        pass
    return time.monotonic() - ready


def _tables(spark, settings) -> dict[str, PartitionedTable]:
    root = warehouse_view(settings).root_uri
    return {
        asset: PartitionedTable(
            spark,
            f"{root}/{asset}",
            "snapshot_date" if "members" in asset or "facilities" in asset else "booking_date",
        )  # fmt: skip
        for asset in ALL_ASSETS
    }


def _checksums(spark, settings) -> dict[tuple[str, str], str]:
    """What a reader sees now, per table and day (a missing day or a failed read fails): one
    read of each table's days, split by day here."""
    found = {}
    for asset, table in _tables(spark, settings).items():
        per_day: dict[str, list] = {day: [] for day in DAYS}
        for row in table.read(DAYS).collect():
            per_day[str(row[table.partition_column])].append(row)
        found.update({(asset, day): day_checksum(rows) for day, rows in per_day.items()})
    return found


# On S3 only: each kill costs a `dg launch`, and what a kill leaves after each store call of the
# publish on a local folder (and on S3) is made deterministically in tests/test_publish_faults.py.
@pytest.mark.slow
@pytest.mark.parametrize("storage_settings", ["s3"], indirect=True)
def test_kill_9_at_random_moments_never_shows_a_mixed_or_missing_day(
    spark, storage_settings, tmp_path
):
    settings = storage_settings
    prepare_instance(cli_env(settings)["DAGSTER_HOME"])
    _land(settings, seed=1)
    first = _launch(settings)
    work_seconds = _seconds_after_spark_is_ready(first)
    assert first.wait(timeout=900) == 0, first.stdout.read()[-3000:]
    old = _checksums(spark, settings)
    _land(settings, seed=2)  # the same days, other rows: the next runs write a new version
    rng = random.Random(20241128)

    seen: list[dict[tuple[str, str], str]] = []
    kill_times = []
    for n in range(KILLS):
        launch = _launch(settings)
        started = time.monotonic()
        _wait_for_spark(launch)  # kill moments spread evenly over the writes and publishes after it
        time.sleep((n + rng.random()) / KILLS * work_seconds)
        os.killpg(launch.pid, signal.SIGKILL)
        launch.wait(timeout=60)
        kill_times.append(round(time.monotonic() - started, 1))
        seen.append(_checksums(spark, settings))

    repair = _launch(settings)
    assert repair.wait(timeout=900) == 0, repair.stdout.read()[-3000:]
    new = _checksums(spark, settings)

    assert any(new[key] != old[key] for key in new), "the new landing data changed the tables"
    for n, state in enumerate(seen):
        for key, checksum in state.items():
            assert checksum in (old[key], new[key]), f"kill {n} at {kill_times[n]}s: {key} mixed"
    for asset, table in _tables(spark, settings).items():
        assert leftovers(table) == [], f"{asset}: {leftovers(table)}"
    changed = [sum(s[k] == new[k] != old[k] for k in s) for s in seen]
    logging.getLogger(__name__).info("killed at %s s; new table-days: %s", kill_times, changed)
    assert any(changed), f"no kill landed after a commit (kills at {kill_times}s): spread them"
