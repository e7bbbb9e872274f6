"""Backfill from the UI, through its own GraphQL mutation, on the deployed stack."""

from __future__ import annotations

import pytest

from ..conftest import warehouse_view, write_landing
from ..pipeline_helpers import ALL_ASSETS, day_folders
from .graphql import captured_logs, launch_backfill, materialized, run_events, wait_for_backfill_run

pytestmark = pytest.mark.deployment

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03"]


@pytest.fixture(scope="module")
def backfill_runs(deployment, deployed_settings) -> list[dict]:
    """Landing files for DAYS, then the UI's Launch backfill for group labs over DAYS."""
    write_landing(deployed_settings, DAYS, bookings_per_day=50)
    backfill_id = launch_backfill(deployment.graphql, ALL_ASSETS, DAYS)
    return wait_for_backfill_run(deployment.graphql, backfill_id, timeout=900)


def test_a_backfill_of_a_range_is_one_run_that_materializes_every_asset_for_every_day(
    deployment, deployed_settings, backfill_runs
):
    assert len(backfill_runs) == 1, f"one run for the whole range, got {backfill_runs}"
    run = backfill_runs[0]
    assert run["status"] == "SUCCESS", deployment.logs()
    assert materialized(deployment.graphql, run["runId"]) == {
        (asset, day) for asset in ALL_ASSETS for day in DAYS
    }
    warehouse = warehouse_view(deployed_settings)
    for report in ("labs/reports/revenue_per_facility", "labs/reports/bookings_per_member"):
        assert day_folders(warehouse, report) == [f"booking_date={day}" for day in DAYS]


def test_the_run_is_one_application_on_the_spark_cluster(deployment, spark_cluster, backfill_runs):
    messages = [
        event["message"] for event in run_events(deployment.graphql, backfill_runs[0]["runId"])
    ]
    # resources/spark_logging.py: "Spark 4.x ready in 3.1s (<master>, <storage>, application <id>)"
    ready = [m for m in messages if m.startswith("Spark ") and " ready in " in m]
    app_ids = {message.split("application ")[1].split(")")[0] for message in ready}
    assert len(app_ids) == 1, f"all steps share one Spark application: {ready}"
    app_id = app_ids.pop()
    assert all(f"({spark_cluster.master_url}, " in message for message in ready)
    state = spark_cluster.state()
    apps = {app["id"]: app for app in state["activeapps"] + state["completedapps"]}
    assert apps[app_id]["name"] == "adventureworks-orchestration"


def test_the_webserver_shows_the_step_output_the_run_wrote_in_the_code_location(
    deployment, backfill_runs
):
    """The webserver has a folder of its own (like its container): it gets the output back from
    the compute-log storage of deploy/dagster.yaml (S3), not from the code location's disk."""
    run_id = backfill_runs[0]["runId"]
    file_keys = sorted(
        {
            event["fileKey"]
            for event in run_events(deployment.graphql, run_id)
            if event["__typename"] == "LogsCapturedEvent"
        }
    )
    assert file_keys
    webserver_copy = deployment.compute_logs_dir("webserver")
    assert not list(webserver_copy.rglob(f"{run_id}/**/*.err"))

    logs = [captured_logs(deployment.graphql, run_id, key) for key in file_keys]

    stderr = "".join(log["stderr"] or "" for log in logs)
    assert f"{run_id} - " in stderr and "labs/reports/revenue_per_facility: published" in stderr
    assert list(webserver_copy.rglob(f"{run_id}/**/*.err")), "downloaded from S3"
