"""Alerts as pure decisions: what a problem is, its identity, and which ones to send now.

Three kinds, each with a stable id so it is sent at most once:

* ``run_failure`` (``run:<run id>``): a run that failed; an event, read once from the instance's
  run-status changes after the alert sensor's position.
* ``check_failed`` (``check:<asset>:<check>:<day>``): a day that a check's latest result names as
  failing (its ``failing_days`` metadata, ``checks/results.py``), so a second bad day while the
  check is still failing is a new problem; a failed result that names no day (the schema check)
  is one problem, ``check:<asset>:<check>``. Open while the latest result names it; sent when it
  opens, again only after it closed in between. The latest result covers the days of its run
  only: a day that failed, then dropped out of the latest result because a run of other days
  came after, and fails again, is sent again.
* ``late_day`` (``late:<asset>:<check>:<day>``): a day a freshness check reports late. Open while
  the day is late, like a failed check; one alert per day, not per re-evaluation.

No Dagster and no I/O here (``sensors/alert_sensor.py`` reads the instance and sends).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SOURCE = "adventureworks-orchestration"


@dataclass(frozen=True)
class Problem:
    id: str
    kind: str  # run_failure | check_failed | late_day
    summary: str  # one line a person can act on
    details: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body."""
        return {
            "source": SOURCE,
            "kind": self.kind,
            "id": self.id,
            "summary": self.summary,
            **self.details,
        }


def run_failure(run_id: str, job: str, days: str | None, message: str | None) -> Problem:
    what = f"run {run_id} of {job}" + (f" for {days}" if days else "")
    return Problem(
        f"run:{run_id}",
        "run_failure",
        f"{what} failed" + (f": {message}" if message else ""),
        {"run_id": run_id, "job": job, "days": days, "message": message},
    )


def check_failed(
    asset: str,
    check: str,
    description: str | None,
    run_id: str,
    failing_days: Mapping[str, str] | None = None,
) -> list[Problem]:
    """One problem per failing day (``failing_days``: day -> why), or one for the check when the
    result names no day."""
    details = {"asset": asset, "check": check, "description": description, "run_id": run_id}
    if not failing_days:
        return [
            Problem(
                f"check:{asset}:{check}",
                "check_failed",
                f"check {check} on {asset} failed" + (f": {description}" if description else ""),
                details,
            )
        ]
    return [
        Problem(
            f"check:{asset}:{check}:{day}",
            "check_failed",
            f"check {check} on {asset} failed for {day}" + (f": {why}" if why else ""),
            {**details, "day": day, "description": why or description},
        )
        for day, why in sorted(failing_days.items())
    ]


def late_days(asset: str, check: str, late: Mapping[str, str]) -> list[Problem]:
    """One problem per late day (``late``: day -> its deadline, as the freshness check reports)."""
    return [
        Problem(
            f"late:{asset}:{check}:{day}",
            "late_day",
            f"{asset} ({check}): {day} is late, it was due {deadline}",
            {"asset": asset, "check": check, "day": day, "deadline": deadline},
        )
        for day, deadline in sorted(late.items())
    ]


@dataclass(frozen=True)
class AlertPlan:
    send: list[Problem]  # new problems, to send now
    still_open: set[str]  # open problems already sent, to remember


def plan_alerts(open_before: Iterable[str], current: Sequence[Problem]) -> AlertPlan:
    """Send the problems not sent while open; forget the ones that closed (they may open again)."""
    before = set(open_before)
    current_ids = {p.id for p in current}
    send = [p for p in current if p.id not in before]
    return AlertPlan(send=send, still_open=before & current_ids)
