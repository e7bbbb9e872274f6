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

from ..constants import FOREIGN_KEYS_CHECK_NAME, NON_NEGATIVE_CHECK_NAME, PRIMARY_KEY_CHECK_NAME
from ..landing.validation import DayCounts


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
