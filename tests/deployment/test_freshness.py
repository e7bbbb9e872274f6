"""Freshness on the deployed stack: the daemon's freshness sensor turns a missing day's freshness
check red, as the webserver reports it through GraphQL, and names only the days still missing
after the others were materialized with ``dg launch`` in the deployment's instance."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from adventureworks_orchestration.checks.deadlines import Deadline
from adventureworks_orchestration.constants import FRESHNESS_CHECK_NAME, LATE_DAYS_METADATA_KEY

from ..conftest import remove_landing, write_landing
from .graphql import check_evaluations

pytestmark = pytest.mark.deployment

ASSET = "labs/source/members"
WAIT_SECONDS = 180


def _late_days(evaluation: dict) -> set[str]:
    for entry in evaluation["metadataEntries"]:
        if entry["label"] == LATE_DAYS_METADATA_KEY:
            return set(json.loads(entry["jsonString"]))
    raise AssertionError(f"no {LATE_DAYS_METADATA_KEY} in {evaluation}")


def test_a_missing_day_turns_its_freshness_check_red(deployment, deployed_settings, spark_cluster):
    settings = deployed_settings
    deadline = Deadline(settings.freshness_deadline)
    due = deadline.due_days(
        dt.datetime.now(dt.UTC), settings.partitions_start, settings.freshness_lookback_days
    )
    assert len(due) >= 3, due
    present, missing = due[-3:-1], due[-1]  # the newest due day is the one left missing
    files = write_landing(settings, present, bookings_per_day=20)
    try:
        days = f"{present[0]}...{present[-1]}"
        launched = deployment.exec(
            "code-location", ["dg", "launch", "--assets", ASSET, "--partition-range", days]
        )
    finally:
        # Only members is ingested: the other tables' files would be joined with the sensor
        # test's day into one run of the landing sensor.
        remove_landing(settings, files)
    assert launched.returncode == 0, launched.stderr[-3000:]

    seen: list[dict] = []
    until = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < until:
        every = check_evaluations(deployment.graphql, ASSET, FRESHNESS_CHECK_NAME)
        seen = [e for e in every if not e["runId"]]  # the sensor's, not a run's own check step
        if seen and not (_late_days(seen[0]) & set(present)):
            break
        time.sleep(2)
    assert seen, f"no {FRESHNESS_CHECK_NAME} evaluation of {ASSET} in {WAIT_SECONDS}s"
    latest = seen[0]
    late = _late_days(latest)
    assert not latest["success"], latest
    assert missing in late, f"{missing} is not named late: {latest['description']}"
    assert not late & set(present), f"materialized days still named late: {sorted(late)}"
    assert missing in latest["description"]
