"""The landing-zone path template: the ONE place that maps (table, day) <-> file path.

The generator writes with it, the source assets read with it, and the landing sensor parses
keys with it, so a file can only ever be found where it was put.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..partitions.daily import DAY_FORMAT, parse_day

LANDING_DATASET = "bookings"
LANDING_TABLES: tuple[str, ...] = ("bookings", "facilities", "members")

_LANDING_PATTERN = re.compile(
    rf"(?:^|/){LANDING_DATASET}/(?P<table>[a-z_]+)/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})\.csv$"
)


@dataclass(frozen=True)
class LandingFile:
    table: str
    day: str


def landing_file_path(table: str, day: str) -> str:
    """Path of one table's file for one day, relative to the landing root."""
    if table not in LANDING_TABLES:
        raise ValueError(f"unknown landing table {table!r}; expected one of {LANDING_TABLES}")
    parse_day(day)
    return f"{LANDING_DATASET}/{table}/{day}.csv"


def parse_landing_path(path: str) -> LandingFile | None:
    """(table, day) of a landing path, or None when the path does not follow the template."""
    match = _LANDING_PATTERN.search(path)
    if not match or match["table"] not in LANDING_TABLES:
        return None
    try:  # the pattern fixed the form; this checks the date exists (and is fast: sensors parse
        dt.date.fromisoformat(match["day"])  # every key of a bucket when they reconcile)
    except ValueError:
        return None
    return LandingFile(table=match["table"], day=match["day"])


__all__ = ["DAY_FORMAT", "LandingFile", "landing_file_path", "parse_landing_path"]
