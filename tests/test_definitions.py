"""The definitions as Dagster sees them: a snapshot of the graph, schedules, and the CLIs."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import uuid
from pathlib import Path

import dagster as dg
import pytest

from adventureworks_orchestration.constants import (
    DAILY_SCHEDULE_NAME,
    FIVE_MINUTE_SCHEDULE_NAME,
    IO_MANAGER_KEY,
    SAMPLE_JOB_NAME,
    SPARK_RESOURCE_KEY,
)
from adventureworks_orchestration.definitions import build_definitions

from .cli_helpers import bin_path, cli_env
from .conftest import TEST_START, write_landing
from .pipeline_helpers import ALL_ASSETS

PROJECT_ROOT = Path(__file__).resolve().parents[1]

EXPECTED_DEPS = {
    "labs/source/bookings": set(),
    "labs/source/facilities": set(),
    "labs/source/members": set(),
    "labs/transformed/members": {"labs/source/members"},
    "labs/transformed/facilities": {"labs/source/facilities"},
    "labs/transformed/bookings": {"labs/source/bookings", "labs/transformed/facilities"},
    "labs/reports/revenue_per_facility": {"labs/transformed/bookings"},
    "labs/reports/bookings_per_member": {"labs/transformed/bookings", "labs/transformed/members"},
}


@pytest.fixture
def defs(settings) -> dg.Definitions:
    return build_definitions(settings)


def test_snapshot_of_assets_deps_groups_and_partitions(defs):
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == set(ALL_ASSETS)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert {p.to_user_string() for p in node.parent_keys} == EXPECTED_DEPS[name]
        assert node.group_name == "labs"
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.partitions_def.start.strftime("%Y-%m-%d") == TEST_START
        assert node.backfill_policy == dg.BackfillPolicy.single_run()
    assert {str(k) for k in defs.resources} >= {SPARK_RESOURCE_KEY, IO_MANAGER_KEY, "landing"}


def test_all_spark_assets_share_one_partitions_definition(defs):
    graph = defs.resolve_asset_graph()
    partitions = {id(graph.get(key).partitions_def) for key in graph.get_all_asset_keys()}
    assert len(partitions) == 1


def test_sample_job_selects_group_labs_and_runs_in_process(defs):
    job = defs.resolve_job_def(SAMPLE_JOB_NAME)
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == set(ALL_ASSETS)
    assert job.executor_def.name == "in_process"
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)


def test_landing_sensor_is_running_by_default_and_targets_the_sample_job(defs):
    sensor = defs.get_sensor_def("landing_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 30
    assert sensor.job_name == SAMPLE_JOB_NAME


def test_schedules_crons(defs):
    crons = {s.name: s.cron_schedule for s in defs.get_repository_def().schedule_defs}
    assert crons == {FIVE_MINUTE_SCHEDULE_NAME: "*/5 * * * *", DAILY_SCHEDULE_NAME: "0 1 * * *"}


@pytest.mark.parametrize("schedule_name", [FIVE_MINUTE_SCHEDULE_NAME, DAILY_SCHEDULE_NAME])
def test_schedules_request_the_latest_complete_day(defs, instance, schedule_name):
    schedule = defs.get_schedule_def(schedule_name)
    tick_time = dt.datetime(2024, 3, 5, 1, 0, tzinfo=dt.UTC)
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=tick_time,
        repository_def=defs.get_repository_def(),
    )

    result = schedule.evaluate_tick(context)

    assert [request.partition_key for request in result.run_requests] == ["2024-03-04"]
    assert result.run_requests[0].job_name in (None, SAMPLE_JOB_NAME)


def test_five_minute_schedule_skips_before_the_first_complete_day(defs, instance):
    schedule = defs.get_schedule_def(FIVE_MINUTE_SCHEDULE_NAME)
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2024, 3, 1, 12, 5, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    result = schedule.evaluate_tick(context)
    assert not result.run_requests
    assert "no complete day" in result.skip_message


@pytest.mark.parametrize(
    ("tags", "status", "skips"),
    [
        ({"dagster/partition": "2024-03-04"}, dg.DagsterRunStatus.STARTED, True),
        ({"dagster/partition": "2024-03-04"}, dg.DagsterRunStatus.STARTING, True),
        ({"dagster/partition": "2024-03-04"}, dg.DagsterRunStatus.NOT_STARTED, True),
        (
            {
                "dagster/asset_partition_range_start": "2024-02-01",
                "dagster/asset_partition_range_end": "2024-03-04",
            },
            dg.DagsterRunStatus.STARTED,
            True,
        ),
        ({"dagster/partition": "2024-03-04"}, dg.DagsterRunStatus.SUCCESS, False),
        ({"dagster/partition": "2024-03-03"}, dg.DagsterRunStatus.STARTED, False),
    ],
    ids=["running", "starting", "not-started", "range-run", "finished", "other-day"],
)
def test_five_minute_schedule_does_not_stack_on_a_run_in_flight_for_its_day(
    defs, instance, tags, status, skips
):
    """The daily schedule, the sensor or a UI backfill may already be doing that day."""
    run = instance.add_run(
        dg.DagsterRun(job_name=SAMPLE_JOB_NAME, run_id=str(uuid.uuid4()), tags=tags, status=status)
    )
    schedule = defs.get_schedule_def(FIVE_MINUTE_SCHEDULE_NAME)
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2024, 3, 5, 1, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )

    result = schedule.evaluate_tick(context)

    if skips:
        assert not result.run_requests and run.run_id in result.skip_message
    else:
        assert [request.partition_key for request in result.run_requests] == ["2024-03-04"]


def test_dagster_definitions_validate(settings):
    completed = subprocess.run(
        [bin_path("dagster"), "definitions", "validate"],
        cwd=PROJECT_ROOT,
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Validation successful" in completed.stderr + completed.stdout


def test_dg_launch_partition_range_is_one_run(settings, tmp_path):
    """... and leaves no shuffle files or spilled blocks behind, even when its process group is
    killed the moment it exits (as a container's end or a CI timeout does)."""
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    write_landing(settings, days)
    scratch = tmp_path / "jvm-tmp"  # where Spark's driver puts blockmgr-* (and spark-*, ...)
    scratch.mkdir()
    env = cli_env(settings)
    env["JAVA_TOOL_OPTIONS"] = f"{env.get('JAVA_TOOL_OPTIONS', '')} -Djava.io.tmpdir={scratch}"

    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:  # files: a pipe would wait for the JVM
        launch = subprocess.Popen(
            [
                bin_path("dg"),
                "launch",
                "--assets",
                "group:labs",
                "--partition-range",
                "2024-03-01...2024-03-03",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        launch.wait(timeout=600)
    try:
        os.killpg(launch.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # nothing was left in the group
    completed = subprocess.CompletedProcess(
        launch.args, launch.returncode, out.read_text(), err.read_text()
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    # the run's shuffle files and spilled blocks (what only the JVM's exit deletes, a few small
    # folders and files, is the JVM's: see SparkResource.teardown_after_execution)
    left = sorted(p.name for p in scratch.iterdir() if p.name.startswith("blockmgr-"))
    assert left == [], "the run's block manager folder outlived the run"
    log = completed.stdout + completed.stderr
    ready = re.findall(
        r"Spark [\d.]+ ready in .*\(local\[\d\], local files, application (\S+)\)", log
    )
    assert len(ready) == 1, f"one Spark session, announced once, for all six steps: {ready}"
    assert " - DEBUG - " not in log, "the project's instance prints INFO, not a line per day"
    assert "BetaWarning" not in log and "Exception in task" not in log
    report = settings.warehouse_dir / "labs/reports/revenue_per_facility"
    assert sorted(p.name for p in report.iterdir() if p.name.startswith("booking_date=")) == [
        f"booking_date={day}" for day in days
    ]
    with dg.DagsterInstance.from_config(str(settings.data_dir / "dagster_home")) as instance:
        runs = instance.get_run_records()
        assert len(runs) == 1
        tags = runs[0].dagster_run.tags
        assert tags["dagster/asset_partition_range_start"] == "2024-03-01"
        assert tags["dagster/asset_partition_range_end"] == "2024-03-03"
