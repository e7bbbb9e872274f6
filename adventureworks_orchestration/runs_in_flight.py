"""Which queued or running runs already cover a day, whatever started them.

The five-minute schedule asks for the same day as the daily schedule, the landing sensor and UI
backfills may: it skips a day that a run in flight will already materialize, instead of stacking
a second run behind it (the asset pools would make it wait, then redo the same work).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from .constants import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def run_covers_day(tags: Mapping[str, str], day: str) -> bool:
    """True when a run with these tags materializes ``day`` (one partition, or a range)."""
    if tags.get(PARTITION_TAG) == day:
        return True
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    return bool(start and end and start <= day <= end)


def runs_in_flight_for_day(instance: dg.DagsterInstance, day: str, limit: int = 200) -> list[str]:
    """Ids of queued or running runs that cover ``day`` (one instance query)."""
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT), limit=limit)
    return [r.dagster_run.run_id for r in records if run_covers_day(r.dagster_run.tags, day)]
