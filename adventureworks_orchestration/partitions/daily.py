"""The daily partitions definition shared by every source, transformed and report asset."""

from __future__ import annotations

import datetime as dt
from functools import cache

import dagster as dg

DAY_FORMAT = "%Y-%m-%d"


@cache
def daily_partitions_def(start_date: str) -> dg.DailyPartitionsDefinition:
    """One definition per start date, so every asset built from the same settings shares it.

    Partitions are UTC days; the last partition is the last *complete* day (Dagster's default
    ``end_offset=0``), which is also what the schedules ask for.
    """
    parse_day(start_date)
    return dg.DailyPartitionsDefinition(start_date=start_date, fmt=DAY_FORMAT)


def parse_day(day: str) -> dt.date:
    """A partition key as a date; raises ValueError naming the bad key."""
    try:
        return dt.datetime.strptime(day, DAY_FORMAT).date()
    except ValueError as exc:
        raise ValueError(f"{day!r} is not a day in YYYY-MM-DD form") from exc


def days_in_range(first: str | dt.date, last: str | dt.date) -> list[str]:
    """Every day from ``first`` to ``last`` inclusive, as partition keys."""
    start = parse_day(first) if isinstance(first, str) else first
    end = parse_day(last) if isinstance(last, str) else last
    if end < start:
        raise ValueError(f"range end {end} is before its start {start}")
    return [
        (start + dt.timedelta(days=offset)).strftime(DAY_FORMAT)
        for offset in range((end - start).days + 1)
    ]


def latest_complete_day(now: dt.datetime, start_date: str) -> str | None:
    """The last UTC day that has fully ended at ``now``, or None before the first one has.

    This is the daily partitions definition's last partition (``end_offset=0``), computed from an
    explicit time so a schedule tick asks for the day of its *scheduled* time, not of the clock.
    """
    if now.tzinfo is None:
        raise ValueError("a timezone-aware time is needed to know which day has ended")
    day = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    return day.strftime(DAY_FORMAT) if day >= parse_day(start_date) else None
