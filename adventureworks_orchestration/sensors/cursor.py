"""What the landing sensor remembers between ticks (its Dagster cursor), as plain data.

The cursor is a cache and a to-do list, never the record of what was ingested: that record is the
source assets' materialization metadata in the Dagster instance. Everything here is either
re-derived from the instance (``recorded``, ``log_position``) or about work still open (requests
whose days are not confirmed yet, incomplete days). Its size follows the days in the listing
window and the days still open, not the history: confirmed days outside the window are dropped.
A cursor that cannot be read (an older version, a reset) starts a full reconciliation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

CURSOR_VERSION = 2

# table -> (etag recorded by the source asset's latest materialization of the day, its storage id)
Recorded = dict[str, tuple[str | None, int]]


@dataclass
class DayRequest:
    """The run this sensor asked for to ingest one day's files (``digest`` names the files)."""

    key: str  # the run key, also the run's ``awo/landing_request`` tag
    attempt: int
    digest: str
    requested_at: float
    failed_at: float | None = None  # when its run was seen to have failed (reported once)
    gave_up: bool = False
    gave_up_before: bool = False  # an earlier request for the day was given up on


@dataclass
class LandingCursor:
    log_position: int | None = None  # storage id of the last source materialization read
    reconciled_at: float | None = None  # when the last full listing ran
    newest_day: str | None = None  # newest day any landing file was seen for
    chase_day: str | None = None  # oldest day requested lately: the window reaches below it
    chase_until: float | None = None
    recorded: dict[str, Recorded] = field(default_factory=dict)  # day -> provenance (cache)
    requests: dict[str, DayRequest] = field(default_factory=dict)  # day -> open request
    waiting: dict[str, list[str]] = field(default_factory=dict)  # day -> missing tables
    reported: list[str] = field(default_factory=list)  # digests of junk keys already reported

    def to_json(self) -> str:
        data = asdict(self)
        data["v"] = CURSOR_VERSION
        data["recorded"] = {
            day: {table: list(value) for table, value in tables.items()}
            for day, tables in self.recorded.items()
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        """The cursor ``text`` holds; a fresh one (full reconciliation next) if unreadable."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict) or data.get("v") != CURSOR_VERSION:
            return cls()
        return cls(
            log_position=data["log_position"],
            reconciled_at=data["reconciled_at"],
            newest_day=data["newest_day"],
            chase_day=data["chase_day"],
            chase_until=data["chase_until"],
            recorded={
                day: {table: (value[0], int(value[1])) for table, value in tables.items()}
                for day, tables in data["recorded"].items()
            },
            requests={day: DayRequest(**value) for day, value in data["requests"].items()},
            waiting={day: list(tables) for day, tables in data["waiting"].items()},
            reported=list(data["reported"]),
        )
