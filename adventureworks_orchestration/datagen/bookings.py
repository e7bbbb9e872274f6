"""The bookings data set, one table-day at a time, reproducible from a seed.

Every (table, day) is generated from ``(seed, day)`` alone, so generating one day or ninety gives
the same file for a given day, and memory is bounded by one day of one table (100k+ bookings a day
is fine). Members and facilities are daily full snapshots, as a nightly extract would deliver them;
bookings are that day's bookings, with a few exact duplicates the way re-sent extracts have them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..partitions.daily import parse_day

MEMBERS_EPOCH = dt.date(2024, 1, 1)
FOUNDING_MEMBERS = 30
NEW_MEMBERS_PER_DAY = 3
GUEST_MEMBER_ID = 0
GUEST_SHARE = 0.15
FIRST_SLOT_HOUR = 8
SLOTS_PER_DAY = 24

FACILITIES: tuple[tuple[int, str, float, float, int, int], ...] = (
    (0, "Tennis Court 1", 5.0, 25.0, 10000, 200),
    (1, "Tennis Court 2", 5.0, 25.0, 8000, 200),
    (2, "Badminton Court", 0.0, 15.5, 4000, 50),
    (3, "Table Tennis", 0.0, 5.0, 320, 10),
    (4, "Massage Room 1", 35.0, 80.0, 4000, 3000),
    (5, "Massage Room 2", 35.0, 80.0, 4000, 3000),
    (6, "Squash Court", 3.5, 17.5, 5000, 80),
    (7, "Snooker Table", 0.0, 5.0, 450, 15),
    (8, "Pool Table", 0.0, 5.0, 400, 15),
)
_SURNAMES = np.array(
    [
        "Smith",
        "Jones",
        "Rownam",
        "Tracy",
        "Farrell",
        "Genting",
        "Baker",
        "Butters",
        "Owen",
        "Joplette",
        "Mackenzie",
        "Stibbons",
        "Sarwin",
        "Rumney",
        "Jones-Hill",
        "Crumpet",
        "Hunt",
        "Tupperware",
        "Dare",
        "Purview",
        "Pinker",
        "Coplin",
        "Worthington-Smyth",
        "Bader",
    ]
)
_FIRSTNAMES = np.array(
    [
        "Darren",
        "Tracy",
        "Tim",
        "Janice",
        "Gerald",
        "Nancy",
        "Timothy",
        "Ponder",
        "Charles",
        "David",
        "Anne",
        "Anna",
        "Jemima",
        "Matthew",
        "Florence",
        "Hyacinth",
        "Millicent",
        "Henrietta",
        "John",
        "Douglas",
        "Henry",
        "Ramnaresh",
        "Joan",
        "Erica",
    ]
)
_STREETS = np.array(
    [
        "Bloomington Ave",
        "Boston Avenue",
        "Highway",
        "Lexington Street",
        "Gunpowder Road",
        "Ellsworth Lane",
        "Hermit Road",
        "Denby Crescent",
        "Lily Lane",
        "Green Rise",
    ]
)


@dataclass(frozen=True)
class GeneratorConfig:
    bookings_per_day: int = 3000
    seed: int = 42
    duplicate_share: float = 0.005
    faults: bool = False  # add hand-made bad rows (``datagen.faults``)


def generate_table(table: str, day: str, config: GeneratorConfig) -> pa.Table:
    """One table's landing rows for one day."""
    date = parse_day(day)
    if table == "members":
        return _members(date)
    if table == "facilities":
        return _facilities()
    if table == "bookings":
        return _bookings(date, config)
    raise ValueError(f"unknown table {table!r}")


def member_count(date: dt.date) -> int:
    """Members (the guest included) who have joined by the end of ``date``."""
    days_open = max(0, (date - MEMBERS_EPOCH).days + 1)
    return 1 + FOUNDING_MEMBERS + NEW_MEMBERS_PER_DAY * days_open


def _members(date: dt.date) -> pa.Table:
    ids = np.arange(member_count(date), dtype=np.int64)
    joined_day = np.maximum(0, (ids - FOUNDING_MEMBERS - 1) // NEW_MEMBERS_PER_DAY)
    founders = ids <= FOUNDING_MEMBERS
    join_dates = np.datetime64(MEMBERS_EPOCH) + joined_day.astype("timedelta64[D]")
    join_dates = np.where(
        founders, np.datetime64(MEMBERS_EPOCH - dt.timedelta(days=365)), join_dates
    )
    join_times = join_dates.astype("datetime64[s]") + ((ids * 37) % 600 + 480).astype(
        "timedelta64[m]"
    )
    surnames = _SURNAMES[(ids * 7) % len(_SURNAMES)]
    firstnames = _FIRSTNAMES[(ids * 11 + 3) % len(_FIRSTNAMES)]
    recommended = np.where((ids % 3 == 0) & (ids > 1), (ids * 13) % np.maximum(ids - 1, 1) + 1, -1)
    guest = ids == GUEST_MEMBER_ID
    return pa.table(
        {
            "memid": pa.array(ids),
            "surname": pa.array(np.where(guest, "GUEST", surnames)),
            "firstname": pa.array(np.where(guest, "GUEST", firstnames)),
            "address": pa.array(
                np.where(
                    guest,
                    "GUEST",
                    np.char.add(
                        ((ids * 17) % 90 + 1).astype(str),
                        np.char.add(" ", _STREETS[ids % len(_STREETS)]),
                    ),
                )
            ),
            "zipcode": pa.array(np.where(guest, 0, (ids * 7919) % 90000 + 10000)),
            "telephone": pa.array(
                np.where(
                    guest,
                    "(000) 000-0000",
                    np.char.add("(844) 555-", ((ids * 4253) % 9000 + 1000).astype(str)),
                )
            ),
            "recommendedby": pa.array(recommended, mask=recommended < 0),
            "joindate": _timestamp_text(join_times),
        }
    )


def _facilities() -> pa.Table:
    columns = list(zip(*FACILITIES, strict=True))
    names = ["facid", "name", "membercost", "guestcost", "initialoutlay", "monthlymaintenance"]
    return pa.table({name: pa.array(values) for name, values in zip(names, columns, strict=True)})


def _bookings(date: dt.date, config: GeneratorConfig) -> pa.Table:
    rng = np.random.default_rng([config.seed, date.toordinal()])
    count = config.bookings_per_day
    members = member_count(date)
    is_guest = rng.random(count) < GUEST_SHARE
    memid = np.where(is_guest, GUEST_MEMBER_ID, rng.integers(1, members, count))
    slot = rng.integers(0, SLOTS_PER_DAY, count)
    start = np.datetime64(date).astype("datetime64[m]") + (FIRST_SLOT_HOUR * 60 + slot * 30).astype(
        "timedelta64[m]"
    )
    day_number = int(date.strftime("%Y%m%d"))
    rows = {
        "bookid": np.int64(day_number) * 10_000_000 + np.arange(count, dtype=np.int64),
        "facid": rng.integers(0, len(FACILITIES), count),
        "memid": memid,
        "starttime": start.astype("datetime64[s]"),
        "slots": rng.integers(1, 4, count),
    }
    duplicates = (
        rng.choice(count, int(count * config.duplicate_share), replace=False) if count else []
    )
    order = np.concatenate([np.arange(count), np.sort(duplicates)]).astype(np.int64)
    return pa.table(
        {
            "bookid": pa.array(rows["bookid"][order]),
            "facid": pa.array(rows["facid"][order]),
            "memid": pa.array(rows["memid"][order]),
            "starttime": _timestamp_text(rows["starttime"][order]),
            "slots": pa.array(rows["slots"][order]),
        }
    )


def _timestamp_text(values: np.ndarray) -> pa.Array:
    return pc.strftime(pa.array(values.astype("datetime64[s]")), format="%Y-%m-%d %H:%M:%S")
