"""What is in the landing area for a range of days: two ways to list it, one way to read a key.

Keys are ``bookings/<table>/<YYYY-MM-DD>.csv``, so within a table's prefix key order is day order
and a range of days is a range of keys. S3 can start a listing after a key (``StartAfter``) but has
no end key; a listing is bounded by a narrower ``Prefix`` and by reading no further than needed:

* ``scan_window`` (every tick): per table ONE ListObjectsV2 request with
  ``Prefix = bookings/<table>/<common prefix of the first and last day>`` (e.g. ``2024-0``),
  ``StartAfter`` = the first day and ``MaxKeys`` = the days in the window, and it stops at the last
  day's key. Keys outside the table's day names (``archive/...``, ``README.txt``) do not match the
  prefix and are never listed; keys after the window come back only in place of missing days (at
  most one per missing day); junk keys inside the window are listed (and reported once).
  Cost: 3 requests per tick while the window has at most 1000 keys per table, whatever the
  bucket holds.
* ``scan_everything`` (the periodic reconciliation): one paged listing of the whole landing prefix
  ``bookings/``: ceil(N / 1000) requests for N objects under it.

No Dagster and no I/O besides the lister.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..landing.objects import MAX_PAGE_SIZE, LandingLister, LandingObject
from ..landing.paths import LANDING_DATASET, LANDING_TABLES, landing_file_path, parse_landing_path
from ..partitions.daily import parse_day

LANDING_PREFIX = f"{LANDING_DATASET}/"


@dataclass(frozen=True)
class Junk:
    """A listed key that will never be ingested, and why (reported once, then remembered)."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


@dataclass
class Scan:
    """The landing files of days ``first..last`` (``full``: the whole landing prefix was listed)."""

    first: str
    last: str
    full: bool
    files: dict[str, dict[str, LandingObject]] = field(default_factory=dict)  # day -> table ->
    junk: list[Junk] = field(default_factory=list)
    tables: tuple[str, ...] = LANDING_TABLES

    def covers(self, day: str) -> bool:
        return self.first <= day <= self.last

    def complete(self) -> dict[str, dict[str, LandingObject]]:
        return {day: found for day, found in self.files.items() if len(found) == len(self.tables)}

    def incomplete(self) -> dict[str, list[str]]:
        """Days with some files but not all: day -> the tables still missing."""
        return {
            day: sorted(set(self.tables) - set(found))
            for day, found in self.files.items()
            if len(found) < len(self.tables)
        }


def is_ignored(key: str, size: int) -> bool:
    """Hidden and temporary files and empty objects: an upload in progress, not a landing file."""
    name = key.rsplit("/", 1)[-1]
    return name.startswith(("_", ".")) or name.endswith(".tmp") or size == 0 or key.endswith("/")


def _take(scan: Scan, item: LandingObject, first_day: str, tables: Sequence[str]) -> None:
    if is_ignored(item.key, item.size):
        return
    parsed = parse_landing_path(item.key)
    if (
        parsed is None
        or parsed.table not in tables
        or item.key != f"{LANDING_PREFIX}{parsed.table}/{parsed.day}.csv"
    ):
        scan.junk.append(Junk(item.key, "not a landing file name (<table>/<YYYY-MM-DD>.csv)"))
    elif parsed.day < first_day:
        scan.junk.append(Junk(item.key, f"day {parsed.day} is before the partitions' start"))
    elif parsed.day <= scan.last:  # later days are not over yet: listed again when they are
        scan.files.setdefault(parsed.day, {})[parsed.table] = item


def scan_window(
    lister: LandingLister,
    first_day: str,
    lo: str,
    hi: str,
    tables: Sequence[str] = LANDING_TABLES,
) -> Scan:
    """The landing files of days ``lo..hi``, one bounded listing per table (see module doc)."""
    scan = Scan(first=lo, last=hi, full=False, tables=tuple(tables))
    days = (parse_day(hi) - parse_day(lo)).days + 1
    common = os.path.commonprefix([lo, hi])
    for table in tables:
        table_prefix = f"{LANDING_PREFIX}{table}/"
        last_key = landing_file_path(table, hi)
        listing = lister.list_after(
            table_prefix + common,
            start_after=table_prefix + lo,
            page_size=min(days, MAX_PAGE_SIZE),
        )
        for item in listing:
            if item.key > last_key:
                break
            _take(scan, item, first_day, tables)
            if item.key == last_key:
                break
    return scan


def scan_everything(
    lister: LandingLister, first_day: str, hi: str, tables: Sequence[str] = LANDING_TABLES
) -> Scan:
    """Every key under the landing prefix, in one paged listing (the reconciliation)."""
    scan = Scan(first=first_day, last=hi, full=True, tables=tuple(tables))
    for item in lister.list_after(LANDING_PREFIX, page_size=MAX_PAGE_SIZE):
        _take(scan, item, first_day, tables)
    return scan


def days_between(first: str, last: str) -> int:
    """Days from ``first`` to ``last`` (negative when ``last`` is earlier)."""
    return (parse_day(last) - parse_day(first)).days


def shift(day: str, days: int) -> str:
    return (parse_day(day) + dt.timedelta(days=days)).isoformat()
