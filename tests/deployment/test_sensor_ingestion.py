"""Sensor-triggered ingestion on the deployed stack: files uploaded to S3 (by ``awo generate`` in
the code location) are picked up by the daemon's landing sensor and the day's reports appear in
S3."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from ..conftest import warehouse_view
from ..pipeline_helpers import day_folders
from .graphql import FINISHED, runs, set_sensor_running

pytestmark = pytest.mark.deployment


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
        run = _wait_for_landing_run(api, yesterday, timeout=900)
    finally:
        set_sensor_running(api, False)

    assert run["status"] == "SUCCESS", deployment.logs()
    assert run["tags"]["dagster/asset_partition_range_end"] == yesterday
    warehouse = warehouse_view(deployed_settings)
    for report in ("labs/reports/revenue_per_facility", "labs/reports/bookings_per_member"):
        assert f"booking_date={yesterday}" in day_folders(warehouse, report)


def _wait_for_landing_run(api, day: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            run
            for run in runs(api, {"awo/trigger": "landing"})
            if run["tags"].get("dagster/asset_partition_range_start") == day
        ]
        if found and found[0]["status"] in FINISHED:
            return found[0]
        time.sleep(2)
    raise AssertionError(f"no finished landing run for {day} within {timeout:.0f}s")
