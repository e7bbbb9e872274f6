"""The write job's per-day row counts (``storage.day_counts``) must be exact for any range and any
number of input partitions: they go into the manifest, the materializations' row counts and the
publish's check that every day with rows has its file."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from pyspark.sql import functions as F

from adventureworks_orchestration.storage.day_counts import DayCounter, rows_per_day
from adventureworks_orchestration.storage.errors import PartitionedTableError

FIRST = dt.date(2024, 1, 1)
YEAR = [(FIRST + dt.timedelta(days=i)).isoformat() for i in range(365)]


def days_of(spark, offsets, partitions):
    """One row per offset (days after FIRST), spread round-robin over ``partitions``."""
    return (
        spark.createDataFrame([(o,) for o in offsets], "o INT")
        .repartition(partitions)
        .select(F.date_add(F.lit(FIRST), F.col("o")).alias("day"))
    )


@contextmanager
def many_tasks_after_the_shuffle(spark, partitions: int = 16):
    """The tests' session has 2 shuffle partitions and AQE would coalesce a small year into one
    task; here the shuffle by day hands the rows to ``partitions`` tasks."""
    keys = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.coalescePartitions.enabled")
    before = {key: spark.conf.get(key) for key in keys}
    spark.conf.set(keys[0], str(partitions))
    spark.conf.set(keys[1], "false")
    try:
        yield
    finally:
        for key, value in before.items():
            spark.conf.set(key, value)


def test_rows_per_day_are_exact_for_a_year_spread_over_many_partitions(spark):
    """Found by bench/scale.py at 365 x 100,000: counted before the shuffle, 22 of these days
    came out wrong (the partial histograms of 8 tasks merged into neighbouring bins)."""
    rows_per_day, partitions = 20, 8  # every partition holds rows of every day
    offsets = (F.col("id") % len(YEAR)).cast("int")
    frame = spark.range(0, rows_per_day * len(YEAR), numPartitions=partitions).select(
        F.date_add(F.lit(FIRST), offsets).alias("day")
    )
    counter = DayCounter(YEAR)
    with many_tasks_after_the_shuffle(frame.sparkSession):  # 16 tasks' histograms are merged
        counter.grouped_by_day(frame, "day").count()

    counts = counter.rows_per_day("labs/things", "day")

    assert sum(counts.values()) == rows_per_day * len(YEAR)
    wrong = {day: n for day, n in counts.items() if n != rows_per_day}
    assert wrong == {}, f"{len(wrong)} of {len(YEAR)} days counted wrong"


def test_rows_outside_the_range_are_refused_even_when_the_bins_merged_them_in():
    """Once there are more distinct days than bins, ``histogram_numeric`` merges bins into their
    weighted centre, which can fall inside the range (here the day before it, one row, merged
    into the first day's thousand). The first and last day still tell."""
    days = YEAR[10:13]
    merged = {
        "all_rows": 3001,
        "undated_rows": 0,
        "min_day": FIRST + dt.timedelta(days=9),
        "max_day": FIRST + dt.timedelta(days=12),
        "day_histogram": [{"x": 0.999, "y": 1001}, {"x": 1.0, "y": 1000}, {"x": 2.0, "y": 1000}],
    }

    with pytest.raises(PartitionedTableError, match=r"outside the days being written"):
        rows_per_day("labs/things", "day", merged, days)
