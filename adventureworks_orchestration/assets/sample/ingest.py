"""The source step's work between finding the landing files and publishing the accepted rows.

For each selected table, referenced tables first: read the records, validate them against the
table's contract (``landing.validation``) and keep the result (parsed once, reused by every
write), count each day's rows; then write every table's quarantine. Only then does the step hand
the first table over for publishing: a run publishes all its tables' accepted rows and
quarantines, or (when something fails before) none.

Same-day references: a referenced table in the run is validated first and its accepted rows are
the snapshot; a table NOT in the run (a subset run) is read as stored for the run's days. A day
whose snapshot is neither is not checked, said in the log and in the day's metadata
(``unchecked_references``). What checks it later differs per column (``CHECKED_LATER``): an
unknown facid is still caught before the reports by ``foreign_keys_resolve`` on the transformed
bookings (a facility not in that day's snapshot has no cost); an unknown memid is NOT checked
again: it reaches the reports.

Cross-day keys (bookings): checked against the run's own days and the source table's stored
rows of the ``duplicate_lookback_days`` days before the run's first day AND after its last day
(a late file for an earlier day is ingested after the later days), never the run's own days,
which the run replaces. The rule is ``landing.validation``'s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ...constants import ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE
from ...landing.listing import LandingObject
from ...landing.quarantine import quarantine_frame
from ...landing.validation import (
    ACCEPTED,
    STATUS,
    DayCounts,
    Snapshot,
    accepted,
    day_counts,
    for_keeping,
    validate,
)
from ...partitions.days import days_after, days_before
from ...resources.landing_zone import LandingZone
from ...resources.spark_errors import parsed
from ...storage.partitioned_table import WriteResult
from .schemas import LANDING_CONTRACTS

# what checks a reference that the source step could not check, per column (see the docstring)
CHECKED_LATER = {
    "facid": "the foreign_keys_resolve check on labs/transformed/bookings still stops a booking "
    "of an unknown facility before the reports",
}


def _checked_later(column: str) -> str:
    return CHECKED_LATER.get(
        column,
        f"nothing checks the {column} of those rows later: an unknown one reaches the reports",
    )


# referenced tables first: their accepted rows are the same-day snapshots the others check against
VALIDATION_ORDER = ("facilities", "members", "bookings")


@dataclass
class IngestedTable:
    """One table of the run: its accepted rows, what became of each day's rows, its quarantine."""

    table: str
    validated: DataFrame  # every record with its status and reason (kept)
    counts: dict[str, DayCounts]
    quarantine: WriteResult | None = None
    unchecked: dict[str, list[str]] = field(default_factory=dict)  # referenced table -> days

    @property
    def accepted(self) -> DataFrame:
        return accepted(self.validated, LANDING_CONTRACTS[self.table])

    @property
    def totals(self) -> DayCounts:
        return DayCounts(
            *(sum(getattr(c, name) for c in self.counts.values()) for name in _COUNT_FIELDS)
        )


_COUNT_FIELDS = ("landing", "accepted", "quarantined", "duplicates")


def source_path(table: str) -> list[str]:
    return [ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE, table]


@contextmanager
def ingested(
    spark: SparkSession,
    landing: LandingZone,
    files: Mapping[str, Sequence[LandingObject]],
    days: Sequence[str],
    run_id: str,
    log: dg.DagsterLogManager,
) -> Iterator[dict[str, IngestedTable]]:
    """Every table of ``files`` validated and its quarantine written; kept until the end.

    Kept (persisted) frames of an EARLIER run in this process are dropped first: when a step
    fails in the IO manager, its frames can outlive it, and Spark's cache, which matches a new
    read of the same landing paths to the old cached rows, would serve the old file contents to
    a re-run after the files were fixed.
    """
    spark.catalog.clearCache()
    kept: list[DataFrame] = []
    try:
        tables: dict[str, IngestedTable] = {}
        snapshots: dict[str, Snapshot] = {}
        for table in (t for t in VALIDATION_ORDER if t in files):
            contract = LANDING_CONTRACTS[table]
            records = landing.read_records(
                spark, files[table], contract.columns, contract.partition_column
            )
            references, unchecked = _snapshots(spark, landing, table, days, snapshots, log)
            stored = _stored_keys(spark, landing, table, days)
            frame, counts = parsed(
                for_keeping(validate(records, contract, references, stored)),
                lambda f, c=contract: day_counts(f, c.partition_column, days),
            )
            kept.append(frame)
            good = frame.where(F.col(STATUS) == ACCEPTED)
            snapshots[table] = Snapshot.of(good, contract.partition_column, contract.key[0], days)
            tables[table] = IngestedTable(table, frame, counts, None, unchecked)
        for table, item in tables.items():
            rejected = quarantine_frame(item.validated, LANDING_CONTRACTS[table].partition_column)
            item.quarantine = landing.write_quarantine(
                rejected, table, days, run_id, rows=item.totals.quarantined
            )
        yield tables
    finally:
        for frame in kept:
            frame.unpersist()


def _snapshots(
    spark: SparkSession,
    landing: LandingZone,
    table: str,
    days: Sequence[str],
    in_run: Mapping[str, Snapshot],
    log: dg.DagsterLogManager,
) -> tuple[dict[str, Snapshot], dict[str, list[str]]]:
    """The same-day snapshots ``table`` refers to: from the run, else as stored."""
    found: dict[str, Snapshot] = {}
    unchecked: dict[str, list[str]] = {}
    for reference in LANDING_CONTRACTS[table].references:
        if reference.table in in_run:
            found[reference.table] = in_run[reference.table]
            continue
        target = LANDING_CONTRACTS[reference.table]
        rows, held = landing.read_stored(
            spark, source_path(reference.table), target.partition_column, days
        )
        if rows is not None:
            found[reference.table] = Snapshot.of(
                rows, target.partition_column, reference.column, held
            )
        missing = sorted(set(days) - set(held))
        if missing:
            unchecked[reference.table] = missing
            log.warning(
                f"{table}: {reference.column} is not checked for {_span(missing)}: the "
                f"{reference.table} snapshot of those days is neither in this run nor stored. "
                f"Run {reference.table} for them too ({_checked_later(reference.column)})."
            )
    return found, unchecked


def _stored_keys(
    spark: SparkSession, landing: LandingZone, table: str, days: Sequence[str]
) -> DataFrame | None:
    """Keys (and days) of ``table`` stored for the lookback days before the run's first day and
    after its last day; the run's own days are left out (the run replaces them)."""
    contract = LANDING_CONTRACTS[table]
    count = landing.duplicate_lookback_days
    around = days_before(min(days), count) + days_after(max(days), count)
    lookback = [day for day in around if day not in set(days)]
    if not contract.key_across_days or not lookback:
        return None
    rows, _ = landing.read_stored(spark, source_path(table), contract.partition_column, lookback)
    return None if rows is None else rows.select(*contract.key, contract.partition_column)


def _span(days: Sequence[str]) -> str:
    return days[0] if len(days) == 1 else f"{len(days)} days ({days[0]}..{days[-1]})"
