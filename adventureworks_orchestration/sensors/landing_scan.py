"""What a landing-sensor tick decides, as plain functions: which files are there, which days they
complete, which of those are new, and how they group into runs. No Dagster, no I/O of its own.

Why a tick costs O(new files), and why that is still correct:

* Keys are ``bookings/<table>/<YYYY-MM-DD>.csv``: within a table's prefix, key order is day order.
  The cursor keeps, per table, the newest day seen (``high``). A tick lists each table's prefix
  with ``StartAfter = bookings/<table>/<high - lookback>``: one LIST request per table for the
  last ``lookback`` days plus whatever is newer, however many older objects the prefix holds.
* Late files: a file for an old day sorts *before* ``high``. It is found as long as its day is
  within ``lookback`` days of the newest day seen (default 7, ``AWO_SENSOR_LOOKBACK_DAYS``). A
  file later than that is, by construction, not listed: launch its day from the UI or
  ``dg launch``, or reset the sensor's cursor, which lists from the partitions' start once.
* Replaced files: the window is re-listed every tick and the cursor remembers each day's etag, so
  a file replaced under the same key (new etag) makes its day new again.
* Deleted cursor keys: ``StartAfter`` is a position in key order, not a key that must exist (the
  built-in ``get_objects`` raises when its ``since_key`` was deleted); nothing here breaks.
* Exactly once: a day is requested when its etags differ from what the cursor remembers AND from
  what the source assets recorded when they last ingested it (their materialization metadata), so
  neither a restart nor a cursor reset re-ingests a file; the ``run_key`` (a hash of the files)
  makes a duplicate request harmless on top.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..landing.listing import LandingLister, LandingObject
from ..landing.paths import LANDING_DATASET, LANDING_TABLES, parse_landing_path
from ..partitions.daily import parse_day

DEFAULT_LOOKBACK_DAYS = 7


@dataclass
class TableCursor:
    high: str | None = None
    etags: dict[str, str] = field(default_factory=dict)  # day -> etag, days in the window only


@dataclass
class LandingCursor:
    tables: dict[str, TableCursor] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "tables": {t: {"high": c.high, "etags": c.etags} for t, c in self.tables.items()},
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            {
                t: TableCursor(c.get("high"), dict(c.get("etags", {})))
                for t, c in data["tables"].items()
            }
        )


@dataclass(frozen=True)
class PlannedRun:
    first_day: str
    last_day: str
    files: tuple[LandingObject, ...]

    @property
    def run_key(self) -> str:
        """The same files with the same content always give the same key."""
        digest = hashlib.sha256()
        for item in sorted(self.files, key=lambda f: f.key):
            digest.update(f"{item.key}@{item.etag}\n".encode())
        return f"landing-{self.first_day}-{self.last_day}-{digest.hexdigest()[:16]}"


@dataclass
class ScanResult:
    files: dict[str, dict[str, LandingObject]]  # day -> table -> file
    skipped: list[str]
    incomplete: dict[str, list[str]]  # day -> missing tables
    cursor: LandingCursor


def _is_ignored(name: str, size: int) -> bool:
    return name.startswith(("_", ".")) or name.endswith(".tmp") or size == 0


def scan_landing(
    lister: LandingLister,
    cursor: LandingCursor,
    first_day: str,
    last_day: str,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    tables: Sequence[str] = LANDING_TABLES,
) -> ScanResult:
    """List each table from its window start; keep the files that follow the template."""
    files: dict[str, dict[str, LandingObject]] = {}
    skipped: list[str] = []
    new_cursor = LandingCursor()
    for table in tables:
        previous = cursor.tables.get(table, TableCursor())
        start_day = first_day
        if previous.high:
            window_start = parse_day(previous.high) - dt.timedelta(days=lookback_days)
            start_day = max(first_day, window_start.isoformat())
        prefix = f"{LANDING_DATASET}/{table}/"
        high = previous.high
        for item in lister.list_after(prefix, start_after=f"{prefix}{start_day}"):
            name = item.key.rsplit("/", 1)[-1]
            if _is_ignored(name, item.size):
                continue
            parsed = parse_landing_path(item.key)
            if parsed is None or parsed.table != table:
                skipped.append(f"{item.key}: not a landing file name (<table>/<YYYY-MM-DD>.csv)")
                continue
            if not first_day <= parsed.day <= last_day:
                skipped.append(
                    f"{item.key}: day {parsed.day} is outside the partitions "
                    f"({first_day}..{last_day})"
                )
                continue
            files.setdefault(parsed.day, {})[table] = item
            high = max(high or parsed.day, parsed.day)
        new_cursor.tables[table] = TableCursor(high=high, etags=dict(previous.etags))
    incomplete = {
        day: sorted(set(tables) - set(found))
        for day, found in files.items()
        if len(found) < len(tables)
    }
    return ScanResult(files=files, skipped=skipped, incomplete=incomplete, cursor=new_cursor)


def changed_days(
    scan: ScanResult,
    ingested_etags: Callable[[str, Sequence[str]], Mapping[str, str]],
    tables: Sequence[str] = LANDING_TABLES,
) -> list[str]:
    """Complete days whose files differ from both the cursor's memory and the last ingestion.

    ``ingested_etags(table, days)`` answers from the source assets' materialization metadata; it
    is asked only about days the cursor does not already vouch for.
    """
    complete = sorted(day for day in scan.files if day not in scan.incomplete)
    unknown = [
        day
        for day in complete
        if any(scan.cursor.tables[t].etags.get(day) != scan.files[day][t].etag for t in tables)
    ]
    if not unknown:
        return []
    recorded = {table: ingested_etags(table, unknown) for table in tables}
    return [
        day
        for day in unknown
        if any(recorded[t].get(day) != scan.files[day][t].etag for t in tables)
    ]


def plan_runs(days: Iterable[str], scan: ScanResult) -> list[PlannedRun]:
    """One run per stretch of consecutive days, so a month of catch-up is one Spark run."""
    runs: list[PlannedRun] = []
    stretch: list[str] = []
    for day in sorted(days):
        if stretch and parse_day(day) - parse_day(stretch[-1]) != dt.timedelta(days=1):
            runs.append(_planned(stretch, scan))
            stretch = []
        stretch.append(day)
    if stretch:
        runs.append(_planned(stretch, scan))
    return runs


def _planned(days: list[str], scan: ScanResult) -> PlannedRun:
    files = tuple(item for day in days for item in scan.files[day].values())
    return PlannedRun(first_day=days[0], last_day=days[-1], files=files)


def remember(cursor: LandingCursor, scan: ScanResult, days: Iterable[str], lookback: int) -> None:
    """Record the etags of ``days`` (requested or verified) and forget days out of the window."""
    for day in days:
        for table, item in scan.files[day].items():
            cursor.tables[table].etags[day] = item.etag
    for table_cursor in cursor.tables.values():
        if table_cursor.high:
            oldest = (parse_day(table_cursor.high) - dt.timedelta(days=lookback)).isoformat()
            table_cursor.etags = {d: e for d, e in table_cursor.etags.items() if d >= oldest}
