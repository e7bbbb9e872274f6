"""``row_count_in_band`` on ``labs/source/bookings``: each day's accepted rows against the mean of
the days before it (``checks.quality.row_count_failures``), at WARN severity (never blocking).

The trailing days come from the run itself when it holds them (a range run of 90 days judges day
8 against days 1-7 of the same run), else from what earlier runs recorded: the ``accepted_rows``
of each day's latest materialization (one instance query for the days before the run, no Spark).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from ..constants import ACCEPTED_ROWS_METADATA_KEY, ROW_COUNT_CHECK_NAME
from ..partitions.days import days_before
from ..sensors.instance_records import fetch_all
from .quality import MIN_TRAILING_DAYS, TRAILING_DAYS, row_count_failures, unjudged_row_counts
from .results import DAYS_NOT_JUDGED_METADATA_KEY, day_check_result


def stored_row_counts(
    instance: dg.DagsterInstance, asset: dg.AssetKey, days: Sequence[str]
) -> dict[str, int]:
    """Day -> ``accepted_rows`` of its latest materialization, for the days of ``days`` that have
    one recording it."""
    if not days:
        return {}
    found: dict[str, int] = {}
    records = fetch_all(instance, dg.AssetRecordsFilter(asset, asset_partitions=list(days)))
    for record in records:  # newest first: the first record of a day is its latest
        day = record.partition_key
        if not day or day in found or record.asset_materialization is None:
            continue
        value = record.asset_materialization.metadata.get(ACCEPTED_ROWS_METADATA_KEY)
        if value is not None:
            found[day] = int(value.value)
    return found


def row_count_result(
    instance: dg.DagsterInstance,
    asset: dg.AssetKey,
    days: Sequence[str],
    run_counts: Mapping[str, int],
    band: float,
) -> dg.AssetCheckResult:
    """The run's WARN verdict on ``days`` (``run_counts``: its rows per day); the days with too
    little history are named in the metadata, not judged."""
    earlier = sorted({d for day in days for d in days_before(day, TRAILING_DAYS)} - set(days))
    counts = {**stored_row_counts(instance, asset, earlier), **run_counts}
    unjudged = unjudged_row_counts(counts, days)
    judged = [day for day in days if day not in unjudged]
    not_judged = (
        f"{', '.join(unjudged)} (fewer than {MIN_TRAILING_DAYS} of the {TRAILING_DAYS} days "
        "before have a row count)"
        if unjudged
        else "none"
    )
    return day_check_result(
        ROW_COUNT_CHECK_NAME,
        asset,
        judged,
        row_count_failures(counts, days, band),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={DAYS_NOT_JUDGED_METADATA_KEY: not_judged},
    )
