"""The daily partitions definition shared by every source, transformed and report asset."""

from __future__ import annotations

from functools import cache

import dagster as dg

from .days import DAY_FORMAT, days_in_range, latest_complete_day, parse_day


@cache
def daily_partitions_def(start_date: str) -> dg.DailyPartitionsDefinition:
    """One definition per start date, so every asset built from the same settings shares it.

    Partitions are UTC days; the last partition is the last *complete* day (Dagster's default
    ``end_offset=0``), which is also what the schedules ask for.
    """
    parse_day(start_date)
    return dg.DailyPartitionsDefinition(start_date=start_date, fmt=DAY_FORMAT)


__all__ = [
    "DAY_FORMAT",
    "daily_partitions_def",
    "days_in_range",
    "latest_complete_day",
    "parse_day",
]
