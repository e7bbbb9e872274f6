"""Day arithmetic on partition keys, with no Dagster import (the CLI's help and argument checks
use it before anything heavy is loaded)."""

from __future__ import annotations

import datetime as dt

DAY_FORMAT = "%Y-%m-%d"


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


def days_before(day: str, count: int) -> list[str]:
    """The ``count`` days just before ``day``, oldest first."""
    end = parse_day(day)
    return [
        (end - dt.timedelta(days=offset)).strftime(DAY_FORMAT) for offset in range(count, 0, -1)
    ]


def days_after(day: str, count: int) -> list[str]:
    """The ``count`` days just after ``day``, oldest first."""
    start = parse_day(day)
    return [
        (start + dt.timedelta(days=offset)).strftime(DAY_FORMAT) for offset in range(1, count + 1)
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
