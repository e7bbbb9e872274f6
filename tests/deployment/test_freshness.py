"""Freshness on the deployed stack: the daemon's freshness sensor turns an asset's `freshness`
check red for the day that was not written by its deadline, and the webserver shows which day.

The days are recent (the check looks at the newest due days before now); the two written days are
reported through the UI's "Report materialization event", since which run wrote a day does not
matter to the check, only that the day's own partition was materialized.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from adventureworks_orchestration.constants import FRESHNESS_CHECK_NAME, LATE_DAYS_METADATA_KEY

from .graphql import check_evaluations, report_materialization

pytestmark = pytest.mark.deployment

ASSET = "labs/reports/revenue_per_facility"


def test_a_missing_day_turns_its_freshness_check_red_naming_that_day(deployment):
    today = dt.datetime.now(dt.UTC).date()
    written = [(today - dt.timedelta(days=n)).isoformat() for n in (1, 3)]
    missing = (today - dt.timedelta(days=2)).isoformat()  # due at 06:00 UTC yesterday

    report_materialization(deployment.graphql, ASSET, written)
    late = _late_days_once_reported(deployment.graphql, written, timeout=300)

    assert missing in late, late
    assert not set(written) & set(late), f"written days are not late: {late}"


def _late_days_once_reported(api, written: list[str], timeout: float) -> dict:
    """The late days of the newest failing evaluation made after ``written`` were reported."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for evaluation in check_evaluations(api, ASSET, FRESHNESS_CHECK_NAME):
            entries = {e["label"]: e.get("jsonString") for e in evaluation["metadataEntries"]}
            late = json.loads(entries.get(LATE_DAYS_METADATA_KEY) or "{}")
            if not evaluation["success"] and not set(written) & set(late):
                return late
        time.sleep(2)
    raise AssertionError(f"no failing freshness evaluation after {written} within {timeout:.0f}s")
