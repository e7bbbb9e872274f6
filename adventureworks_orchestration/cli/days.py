"""Which days a command works on, checked against the daily partitions before anything runs."""

from __future__ import annotations

import datetime as dt

from ..partitions.days import days_in_range, latest_complete_day, parse_day
from ..settings import Settings
from .parser import fail


def partition_bounds(settings: Settings, now: dt.datetime | None = None) -> tuple[str, str]:
    """The first and last day partition: the settings' start, and yesterday in UTC."""
    now = now or dt.datetime.now(dt.UTC)
    last = latest_complete_day(now, settings.partitions_start)
    if last is None:
        fail(
            f"the partitions start on {settings.partitions_start}, which has not ended yet "
            "(UTC): set AWO_PARTITIONS_START to an earlier day"
        )
    return settings.partitions_start, last


def checked_range(
    first: dt.date, last: dt.date, settings: Settings, now: dt.datetime | None = None
) -> list[str]:
    """``first``..``last`` as partition keys, or one line saying why it is not a range of ours."""
    start, end = partition_bounds(settings, now)
    if last < first:
        fail(f"the range ends ({last}) before it starts ({first})")
    if first < parse_day(start):
        fail(f"{first} is before the partitions' first day {start} (AWO_PARTITIONS_START)")
    if last > parse_day(end):
        fail(
            f"{first}..{last} goes past the partitions' last day {end} (the last complete day, "
            "UTC): choose an earlier start or fewer days"
        )
    return days_in_range(first, last)


def sample_days(start: dt.date | None, count: int, settings: Settings) -> list[str]:
    """The days of ``demo``/``generate``: ``count`` days from ``start`` (default: the first)."""
    first = start or parse_day(settings.partitions_start)
    return checked_range(first, first + dt.timedelta(days=count - 1), settings)
