"""Freshness per day, as pure decisions: which days are late, and what changed since last time.

A *target* is one check on one asset: ``freshness`` (day D of the asset was written by its
deadline) or ``landing_freshness`` (day D's landing file of a table arrived by the landing
deadline). The caller says which days are present, per target: the days the asset has a
materialization of (what was written FOR that day, so a backfill of an older day changes
nothing about D), or the days whose landing file is listed. A day is *late* when its deadline has
passed and it is not present. Only the ``lookback_days`` newest due days are checked: a day older
than that is no longer reported.

No Dagster wiring here; ``freshness_check.py`` queries the instance and the landing area and turns
verdicts into check evaluations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .deadlines import Deadline


@dataclass(frozen=True)
class Target:
    asset: str  # asset key as a user string, e.g. labs/source/members
    check_name: str
    deadline: Deadline
    table: str | None = None  # landing freshness: the landing table whose files are expected

    @property
    def key(self) -> str:
        return f"{self.asset}:{self.check_name}"

    def what(self, day: str) -> str:
        if self.table is not None:
            return f"the {self.table} landing file of {day}"
        return f"{self.asset} for {day}"


@dataclass(frozen=True)
class Verdict:
    target: Target
    checked: tuple[str, ...]  # the due days looked at, oldest first
    late: Mapping[str, dt.datetime]  # day -> its deadline, for the late days
    now: dt.datetime

    @property
    def passed(self) -> bool:
        return not self.late

    def overdue_seconds(self, day: str) -> float:
        return (self.now - self.late[day]).total_seconds()

    def day_description(self, day: str) -> str:
        if day in self.late:
            return (
                f"{self.target.what(day)} is late: not there at "
                f"{_stamp(self.now)}, due {_stamp(self.late[day])}"
                f" ({self.target.deadline.cron} UTC)"
            )
        return f"{self.target.what(day)} is there"

    @property
    def description(self) -> str:
        if not self.checked:
            return "No day is due yet."
        span = f"{self.checked[0]}..{self.checked[-1]}"
        if self.passed:
            return f"Every day due is there ({span}, deadline {self.target.deadline.cron} UTC)."
        days = sorted(self.late)
        shown = "; ".join(self.day_description(day) for day in days[:5])
        more = f" And {len(days) - 5} more." if len(days) > 5 else ""
        return f"{len(days)} late day(s) of {span}: {shown}.{more}"

    def late_days_json(self) -> dict[str, str]:
        return {day: _stamp(deadline) for day, deadline in sorted(self.late.items())}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def verdicts(
    targets: Iterable[Target],
    present: Mapping[str, set[str]],
    now: dt.datetime,
    first_day: str,
    lookback_days: int,
) -> list[Verdict]:
    """One verdict per target; ``present`` maps ``Target.key`` to the days that are there."""
    found = []
    for target in targets:
        days = target.deadline.due_days(now, first_day, lookback_days)
        there = present.get(target.key, set())
        late = {day: target.deadline.of(day) for day in days if day not in there}
        found.append(Verdict(target, tuple(days), late, now))
    return found


@dataclass(frozen=True)
class Change:
    """What a freshness sensor reports for one target on this tick."""

    verdict: Verdict
    newly_late: tuple[str, ...]
    arrived: tuple[str, ...]  # days late last time and there now


def changes(previous: Mapping[str, list[str]] | None, current: Iterable[Verdict]) -> list[Change]:
    """Targets whose late days changed since ``previous`` (target key -> late days last reported;
    None: nothing reported yet, so every target is reported once)."""
    found = []
    for verdict in current:
        before = None if previous is None else previous.get(verdict.target.key)
        late_now = set(verdict.late)
        if before is not None and set(before) == late_now:
            continue
        before_set = set(before or [])
        newly_late = tuple(sorted(late_now - before_set))
        # a day that left the window while still missing is not "arrived": it is no longer checked
        arrived = tuple(sorted(d for d in before_set - late_now if d in verdict.checked))
        found.append(Change(verdict, newly_late, arrived))
    return found


def late_state(current: Iterable[Verdict]) -> dict[str, list[str]]:
    """What the sensor remembers: target key -> its late days."""
    return {verdict.target.key: sorted(verdict.late) for verdict in current}
