"""Hand-made bad rows for the sample data (``awo generate --faults``), so the quarantine and the
checks have something to show.

Each bookings day gets one row of every kind in ``BOOKING_FAULTS``, made from a good row picked
from ``(seed, day)`` alone (the same day always gets the same faults); members get one row whose
``joindate`` does not parse, for a member id no booking uses. Facilities are left alone: a bad
facility row would orphan many bookings at once. The row that reuses the first bookid of the day
before is only a duplicate when that day is ingested too (in the run, or stored before it).

One file is late (``late_file``): the last day's bookings file is held back, not written, so the
landing freshness check has a missing file to name once that day's deadline has passed. It is the
same file whatever the seed (the last day is the only one a real late delivery would affect), and
a one-day generate holds nothing back: that is how the late file is written later.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

import numpy as np

from ..partitions.days import parse_day

# fault kind -> the reason code the validation gives the row (``landing.validation``)
BOOKING_FAULTS: dict[str, str] = {
    "missing_field": "field_count",
    "bad_number": "bad_value",
    "bad_timestamp": "bad_value",
    "not_utf8": "not_utf8",
    "missing_bookid": "missing_key",
    "another_day": "other_day",
    "zero_slots": "below_minimum",
    "unknown_facility": "unknown_facility",
    "unknown_member": "unknown_member",
    "conflicting_duplicate": "duplicate_key",
    "bookid_of_the_day_before": "duplicate_key",
}
MEMBER_FAULTS: dict[str, str] = {"bad_joindate": "bad_value"}
UNKNOWN_FACILITY = 99
UNKNOWN_MEMBER = 999_999
BAD_MEMBER = 888_888
_FAULT_SALT = 0xFA017  # keeps the fault picks apart from the generator's own random draws
LATE_TABLE = "bookings"


def late_file(days: Sequence[str]) -> tuple[str, str] | None:
    """The (table, day) whose landing file ``--faults`` holds back: the last day's bookings, or
    None when only one day is generated (so ``generate --days 1`` writes a late file later)."""
    return (LATE_TABLE, max(days)) if len(days) > 1 else None


def with_faults(table: str, day: str, data: bytes, seed: int) -> bytes:
    """``data`` (a generated landing file: a header, one record per line) with the day's faults
    appended; a table with no faults, or a file with no rows, comes back as is."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]
    if not rows or table not in ("bookings", "members"):
        return data
    rng = np.random.default_rng([seed, parse_day(day).toordinal(), _FAULT_SALT])
    if table == "members":
        bad = rows[int(rng.integers(len(rows)))]
        bad[0], bad[-1] = str(BAD_MEMBER), "not a date"
        extra = [_line(bad)]
    else:
        extra = _booking_faults(rows, day, rng)
    return data.rstrip(b"\n") + b"\n" + b"\n".join(extra) + b"\n"


def _line(fields: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue().encode("utf-8")


def _booking_faults(rows: list[list[str]], day: str, rng: np.random.Generator) -> list[bytes]:
    picks = rng.choice(len(rows), size=len(BOOKING_FAULTS), replace=len(rows) < len(BOOKING_FAULTS))
    previous = parse_day(day) - dt.timedelta(days=1)
    out: list[bytes] = []
    for kind, index in zip(BOOKING_FAULTS, picks, strict=True):
        bookid, facid, memid, starttime, slots = rows[int(index)]
        fresh = str(int(bookid) + 5_000_000)  # a bookid the generator never uses for that day
        moved = (parse_day(starttime[:10]) + dt.timedelta(days=3)).isoformat() + starttime[10:]
        fields = {
            "missing_field": [fresh, facid, memid, starttime],
            "bad_number": [fresh, facid, memid, starttime, "two"],
            "bad_timestamp": [fresh, facid, memid, starttime[:5] + "13" + starttime[7:], slots],
            "not_utf8": [fresh, facid, memid, starttime, slots],
            "missing_bookid": ["", facid, memid, starttime, slots],
            "another_day": [fresh, facid, memid, moved, slots],
            "zero_slots": [fresh, facid, memid, starttime, "0"],
            "unknown_facility": [fresh, str(UNKNOWN_FACILITY), memid, starttime, slots],
            "unknown_member": [fresh, facid, str(UNKNOWN_MEMBER), starttime, slots],
            "conflicting_duplicate": [bookid, facid, memid, starttime, str(int(slots) % 3 + 1)],
            # the generator's first bookid of the day before (see ``datagen.bookings``)
            "bookid_of_the_day_before": [
                str(int(previous.strftime("%Y%m%d")) * 10_000_000),
                facid,
                memid,
                starttime,
                slots,
            ],
        }[kind]
        line = _line(fields)
        out.append(line + b"\xff" if kind == "not_utf8" else line)
    return out
