"""A code-location restart kills the runs it was executing; run monitoring (deploy/dagster.yaml,
with the launcher's health check) fails them instead of leaving them STARTED for ever."""

from __future__ import annotations

import time

import pytest

from ..conftest import remove_landing, write_landing
from ..pipeline_helpers import ALL_ASSETS
from .graphql import launch_backfill, run_events, runs, wait_for_run

pytestmark = pytest.mark.deployment

DAYS = ["2024-03-12", "2024-03-13"]


def test_a_run_killed_by_a_code_location_restart_is_marked_failed(deployment, deployed_settings):
    api = deployment.graphql
    files = write_landing(deployed_settings, DAYS, bookings_per_day=50)
    try:
        backfill_id = launch_backfill(api, ALL_ASSETS, DAYS)
        run_id = _wait_for_a_started_step(api, backfill_id, timeout=600)

        deployment.restart_code_location()  # SIGKILL to it and its runs, then start it again
        run = wait_for_run(api, run_id, timeout=300)
    finally:
        remove_landing(deployed_settings, files)  # nobody ingested them

    assert run["status"] == "FAILURE"
    last = [event.get("message", "") for event in run_events(api, run_id)][-3:]
    assert any("is not running it" in message for message in last), last


def _wait_for_a_started_step(api, backfill_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = runs(api, {"dagster/backfill": backfill_id})
        if found and found[0]["status"] == "STARTED":
            events = run_events(api, found[0]["runId"])
            if any(event["__typename"] == "ExecutionStepStartEvent" for event in events):
                return found[0]["runId"]
        time.sleep(2)
    raise AssertionError(f"backfill {backfill_id} started no step within {timeout:.0f}s")
