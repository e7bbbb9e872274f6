"""When a day is due: a deadline cron (UTC) read as "day D must be there by the first tick of the
cron at or after D has ended". ``0 2 * * *`` makes 2024-03-01 due at 2024-03-02 02:00 UTC.

The cron is evaluated by Dagster's own cron iterator (``dagster._utils.schedules``, private): it
is the one Dagster's schedules and ``build_time_partition_freshness_checks`` use, so a deadline
means here what it means there, and the project needs no second cron library. Only this module
imports it; the deadline tests of ``tests/test_freshness.py`` pin the behaviour relied on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dagster._utils.schedules import get_next_cron_tick, is_valid_cron_string

from ..partitions.days import DAY_FORMAT, days_in_range, parse_day


@dataclass(frozen=True)
class Deadline:
    cron: str
    setting: str = "deadline"  # the variable it came from, for the error message

    def __post_init__(self) -> None:
        if not is_valid_cron_string(self.cron):
            raise ValueError(f"{self.setting}: {self.cron!r} is not a cron expression (UTC)")

    def of(self, day: str) -> dt.datetime:
        """The moment ``day`` is due: the first tick at or after the end of the day (UTC)."""
        day_end = dt.datetime.combine(parse_day(day) + dt.timedelta(days=1), dt.time(), dt.UTC)
        return get_next_cron_tick(self.cron, day_end, "UTC").astimezone(dt.UTC)

    def latest_due_day(self, now: dt.datetime, first_day: str) -> str | None:
        """The newest day whose deadline has passed at ``now``, or None before the first is due."""
        if now.tzinfo is None:
            raise ValueError("a timezone-aware time is needed to compare with a deadline")
        day = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
        # a cron ticking less than daily (weekly, say) leaves several days due at once
        while day >= parse_day(first_day) and self.of(day.strftime(DAY_FORMAT)) > now:
            day -= dt.timedelta(days=1)
        return day.strftime(DAY_FORMAT) if day >= parse_day(first_day) else None

    def due_days(self, now: dt.datetime, first_day: str, lookback_days: int) -> list[str]:
        """The ``lookback_days`` newest days due at ``now`` (never before ``first_day``)."""
        last = self.latest_due_day(now, first_day)
        if last is None:
            return []
        first = max(parse_day(last) - dt.timedelta(days=lookback_days - 1), parse_day(first_day))
        return days_in_range(first, last)
