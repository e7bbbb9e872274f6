"""Rows per day of a range write, counted inside the write job itself (no second pass), and the
refusal of rows dated outside the days being written. Shared by every table format."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from py4j.protocol import Py4JJavaError
from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from .errors import PartitionedTableError


class DayCounter:
    """Groups a write's rows by day and counts them in the same job; then ask ``rows_per_day``."""

    def __init__(self, days: Sequence[str]) -> None:
        self.days = list(days)
        self.observation = Observation(f"rows_per_day_{uuid.uuid4().hex}")

    def grouped_by_day(self, df: DataFrame, column: str) -> DataFrame:
        """``df`` repartitioned by ``column``, so all of a day's rows are in one task (one file
        per day), with the per-day count attached AFTER the shuffle.

        Where the count is observed matters: before the shuffle every task can hold rows of many
        days, and merging the tasks' partial ``histogram_numeric`` results moved counts to
        neighbouring days (365 days over 8 input partitions: 22 days wrong, the total right).
        After it, no two tasks share a day, so the merge only concatenates exact bins
        (``tests/test_day_counts.py``, and the year-long range writes in the table tests).
        """
        day = F.col(column).cast("date")  # a no-op for a date column
        return df.repartition(day).observe(self.observation, *day_metrics(day, self.days))

    def rows_per_day(self, table_name: str, column: str) -> dict[str, int]:
        """Exact counts per day; raises ``PartitionedTableError`` for rows outside the days."""
        return rows_per_day(table_name, column, observed_metrics(self.observation), self.days)


def day_metrics(day_value: Column, days: Sequence[str]) -> list[Column]:
    """Metrics the write job computes on the side, so counting needs no second pass.

    Rows per day come from ``histogram_numeric`` over the day's offset in the range, which costs
    about as little as ``count`` where one ``count_if`` per day would cost two microseconds per
    row for a 90-day range. A task's histogram is exact while it has a bin per distinct value
    (``span + 1`` bins for at most ``span`` days in the range); merging tasks' histograms is
    exact only when they share no value, which ``DayCounter.grouped_by_day`` ensures. Rows
    outside the range are caught by ``min_day``/``max_day``, whatever the bins did to them.
    """
    first = dt.date.fromisoformat(days[0])
    span = (dt.date.fromisoformat(days[-1]) - first).days + 1
    # as a double: an integer input makes Spark truncate each bin's centre to an integer, and a
    # centre merged from two bins of the same day can come out a rounding error below it
    offset = F.datediff(day_value, F.lit(first)).cast("double")
    return [
        F.count(F.lit(1)).alias("all_rows"),
        F.count_if(day_value.isNull()).alias("undated_rows"),
        F.min(day_value).alias("min_day"),
        F.max(day_value).alias("max_day"),
        F.histogram_numeric(offset, F.lit(span + 1)).alias("day_histogram"),  # nb >= 2
    ]


def observed_metrics(observation: Observation) -> dict:
    """The write job's metrics; all zero when the job ran no task at all.

    Spark only reports observed metrics from tasks; for an input with no partitions (an empty
    DataFrame, a header-only file) ``Observation.get`` fails a JVM assertion instead of returning
    zeros. No task means no rows were written, and step 4 cross-checks that against the files.
    """
    try:
        return observation.get
    except Py4JJavaError as exc:
        if exc.java_exception.getClass().getName() != "java.lang.AssertionError":
            raise
        return {
            "all_rows": 0,
            "undated_rows": 0,
            "min_day": None,
            "max_day": None,
            "day_histogram": [],
        }


def rows_per_day(name: str, column: str, metrics: dict, days: Sequence[str]) -> dict[str, int]:
    """Per-day row counts from the write's metrics; refuses rows dated outside ``days``."""
    first = dt.date.fromisoformat(days[0])
    counts: dict[str, int] = {}
    for bin_ in metrics["day_histogram"] or []:
        day = (first + dt.timedelta(days=round(bin_["x"]))).isoformat()
        counts[day] = counts.get(day, 0) + int(bin_["y"])
    lowest, highest = (metrics[k] and str(metrics[k])[:10] for k in ("min_day", "max_day"))
    outside = (
        int(metrics["undated_rows"])
        or (lowest is not None and lowest < days[0])
        or (highest is not None and highest > days[-1])
        or any(n for d, n in counts.items() if d not in days)
        or sum(counts.values()) != int(metrics["all_rows"])
    )
    if outside:
        raise outside_days_error(
            name,
            column,
            days,
            f"{metrics['undated_rows']} without a day, others from {metrics['min_day']} to "
            f"{metrics['max_day']}",
        )
    return {day: counts.get(day, 0) for day in days}


def outside_days_error(
    name: str, column: str, days: Sequence[str], found: str
) -> PartitionedTableError:
    """The one message for rows dated outside a write's days, whichever format caught them."""
    return PartitionedTableError(
        f"rows for {name} have a {column} outside the days being written "
        f"({days[0]}..{days[-1]}): {found}; nothing was published"
    )
