"""Sensor-triggered ingestion on the deployed stack: files uploaded to S3 (by ``awo generate`` in
the code location) are picked up by the daemon's landing sensor and the day's reports appear in
S3."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from ..conftest import warehouse_view
from ..pipeline_helpers import day_folders
from .graphql import FINISHED, describe_ticks, runs, sensor_ticks, set_sensor_running

pytestmark = pytest.mark.deployment

# Below pytest's own timeout (900 s in pyproject, which also counts the deployment's start when
# this test is the first to need it), so that a run that never comes fails with what the
# sensor's ticks logged and the runs it started, not with a bare timeout. The test takes about
# 160 s in a full run.
WAIT_SECONDS = 540


def test_files_uploaded_to_s3_start_a_run_and_the_days_reports_appear_in_s3(
    deployment, deployed_settings
):
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    api = deployment.graphql
    set_sensor_running(api, True)  # switched on from the UI's API, as an operator would
    try:
        # The README's command: `docker compose exec code-location awo generate ...`
        generated = deployment.exec(
            "code-location",
            ["awo", "generate", "--days", "1", "--start", yesterday, "--bookings-per-day", "50"],
        )
        assert generated.returncode == 0, generated.stderr[-3000:]
        run = _wait_for_landing_run(deployment, yesterday, timeout=WAIT_SECONDS)
    finally:
        set_sensor_running(api, False)

    assert run["status"] == "SUCCESS", deployment.logs()
    assert run["tags"]["dagster/asset_partition_range_end"] == yesterday
    warehouse = warehouse_view(deployed_settings)
    for report in ("labs/reports/revenue_per_facility", "labs/reports/bookings_per_member"):
        assert f"booking_date={yesterday}" in day_folders(warehouse, report)


def _wait_for_landing_run(deployment, day: str, timeout: float) -> dict:
    """The finished landing run that starts at ``day``: the run of the files just uploaded, and
    of nothing older (every other test leaves no landing file un-ingested)."""
    api = deployment.graphql
    deadline = time.monotonic() + timeout
    landing: list[dict] = []
    while time.monotonic() < deadline:
        landing = runs(api, {"awo/trigger": "landing"})
        found = [r for r in landing if r["tags"].get("dagster/asset_partition_range_start") == day]
        if found and found[0]["status"] in FINISHED:
            return found[0]
        time.sleep(2)
    raise AssertionError(
        f"no finished landing run for {day} within {timeout:.0f}s; {_diagnostics(api, landing)}\n"
        f"{deployment.logs()}"
    )


def _diagnostics(api, landing: list[dict]) -> str:
    """The landing runs and the sensor's latest ticks; what cannot be fetched is said so."""
    seen = "\n".join(
        f"{run['runId']} {run['status']} "
        f"{run['tags'].get('dagster/asset_partition_range_start')}.."
        f"{run['tags'].get('dagster/asset_partition_range_end')}"
        for run in landing
    )
    try:
        ticks = describe_ticks(sensor_ticks(api))
    except Exception as error:  # noqa: BLE001 - the failure above is the one to report
        ticks = f"(not fetched: {error})"
    return f"landing runs:\n{seen or '-'}\nthe sensor's latest ticks:\n{ticks}"
