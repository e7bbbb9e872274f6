"""Data-quality verdicts per day: plain functions over counts and DataFrames, no Dagster.

Each returns ``{day: what is wrong}`` for the days that fail (empty: all pass). The assets turn
them into Dagster asset check results (``checks.results``), one per check and run, with the
failing days in the metadata: Dagster 1.13 records a range run's check results without a
partition, so the metadata is where a user sees WHICH day failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from ..constants import FOREIGN_KEYS_CHECK_NAME, NON_NEGATIVE_CHECK_NAME, PRIMARY_KEY_CHECK_NAME
from ..landing.validation import DayCounts
from ..partitions.days import days_before

# row_count_in_band: a day is judged against the mean of the days among the TRAILING_DAYS before
# it that have a count, and only when at least MIN_TRAILING_DAYS of them do
TRAILING_DAYS = 7
MIN_TRAILING_DAYS = 3


def quarantine_share_failures(counts: Mapping[str, DayCounts], max_share: float) -> dict[str, str]:
    """Days whose quarantined share of landing rows is above ``max_share``."""
    failing = {}
    for day, count in sorted(counts.items()):
        share = count.quarantined / count.landing if count.landing else 0.0
        if share > max_share:
            failing[day] = (
                f"{count.quarantined} of {count.landing} landing rows quarantined "
                f"({share:.1%} > {max_share:.1%})"
            )
    return failing


def bookings_failures(
    bookings: DataFrame, day_column: str, days: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Per check, the failing days of priced bookings (``transforms.enrich_bookings``), in one
    Spark job: ``primary_key_unique`` (a bookid twice), ``foreign_keys_resolve`` (a booking whose
    facility has no price that day), ``no_negative_amounts`` (a cost below 0). Only ``days``
    are judged."""
    per_day = (
        bookings.groupBy(F.date_format(day_column, "yyyy-MM-dd").alias("day"))
        .agg(
            (F.count(F.lit(1)) - F.count_distinct("bookid")).alias("repeated"),
            F.count_if(F.col("cost").isNull()).alias("unresolved"),
            F.count_if(F.col("cost") < 0).alias("negative"),
        )
        .collect()
    )
    wanted = set(days)
    found: dict[str, dict[str, str]] = {
        PRIMARY_KEY_CHECK_NAME: {},
        FOREIGN_KEYS_CHECK_NAME: {},
        NON_NEGATIVE_CHECK_NAME: {},
    }
    for row in sorted(per_day, key=lambda r: r["day"]):
        if row["day"] not in wanted:
            continue
        if row["repeated"]:
            found[PRIMARY_KEY_CHECK_NAME][row["day"]] = f"{row['repeated']} repeated bookid(s)"
        if row["unresolved"]:
            found[FOREIGN_KEYS_CHECK_NAME][row["day"]] = (
                f"{row['unresolved']} booking(s) whose facility is not in that day's snapshot"
            )
        if row["negative"]:
            found[NON_NEGATIVE_CHECK_NAME][row["day"]] = f"{row['negative']} negative cost(s)"
    return found


def trailing_counts(counts: Mapping[str, int], day: str) -> list[int]:
    """The counts of the ``TRAILING_DAYS`` days before ``day`` that have one, oldest first."""
    return [counts[d] for d in days_before(day, TRAILING_DAYS) if d in counts]


def unjudged_row_counts(counts: Mapping[str, int], days: Sequence[str]) -> list[str]:
    """The days of ``days`` with too little history to judge (``row_count_failures`` skips them):
    fewer than ``MIN_TRAILING_DAYS`` of the ``TRAILING_DAYS`` days before them have a count."""
    return sorted(d for d in days if len(trailing_counts(counts, d)) < MIN_TRAILING_DAYS)


def row_count_failures(
    counts: Mapping[str, int], days: Sequence[str], band: float
) -> dict[str, str]:
    """Days of ``days`` whose row count is outside ``mean * (1 +- band)``, the mean taken over
    the trailing days' counts (``counts``: day -> rows, the judged days and their history; a
    day with too little history is not judged)."""
    failing = {}
    unjudged = set(unjudged_row_counts(counts, days))
    for day in sorted(set(days) - unjudged):
        trailing = trailing_counts(counts, day)
        mean = sum(trailing) / len(trailing)
        rows = counts.get(day, 0)
        if abs(rows - mean) > band * mean:
            share = f"{rows / mean:.0%} of " if mean else ""
            failing[day] = (
                f"{rows} rows, {share}the mean {mean:.1f} of the {len(trailing)} day(s) before "
                f"(allowed: +-{band:.0%})"
            )
    return failing


def schema_differences(actual: StructType, contract: StructType) -> dict[str, str]:
    """Column -> what differs from ``contract``: missing, not in the contract, or another type.

    Columns are matched by name (order is not compared: storage reads columns by name); types
    by their SQL name, so nullability, which Spark does not enforce on file reads, is ignored.
    """
    found = {f.name: f.dataType.simpleString() for f in actual.fields}
    wanted = {f.name: f.dataType.simpleString() for f in contract.fields}
    differences = {}
    for name, kind in wanted.items():
        if name not in found:
            differences[name] = f"missing (contract: {kind})"
        elif found[name] != kind:
            differences[name] = f"is {found[name]}, contract: {kind}"
    for name, kind in found.items():
        if name not in wanted:
            differences[name] = f"not in the contract ({kind})"
    return differences
