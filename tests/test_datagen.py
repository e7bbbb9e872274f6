"""The sample-data generator: deterministic per day, consistent across tables, bounded memory."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib

import pyarrow.compute as pc

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, generate_table
from adventureworks_orchestration.datagen.bookings import FACILITIES, member_count
from adventureworks_orchestration.datagen.faults import BOOKING_FAULTS
from adventureworks_orchestration.landing.paths import parse_landing_path


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_a_day_is_the_same_whatever_range_generates_it(tmp_path):
    config = GeneratorConfig(bookings_per_day=300)
    alone = LandingWriter.local(str(tmp_path / "a")).write(["2024-03-02"], config)
    in_range = LandingWriter.local(str(tmp_path / "b")).write(
        ["2024-03-01", "2024-03-02", "2024-03-03"], config
    )
    by_key = {(f.table, f.day): f.path for f in in_range}
    for written in alone:
        assert _digest(written.path) == _digest(by_key[(written.table, written.day)])


def test_files_follow_the_landing_template_and_no_temp_files_remain(tmp_path):
    written = LandingWriter.local(str(tmp_path)).write(["2024-03-01"], GeneratorConfig(100))
    for file in written:
        parsed = parse_landing_path(file.path)
        assert parsed is not None and (parsed.table, parsed.day) == (file.table, file.day)
    assert not list(tmp_path.rglob("*.tmp"))


def test_bookings_reference_existing_members_and_facilities():
    bookings = generate_table("bookings", "2024-03-05", GeneratorConfig(bookings_per_day=5000))
    members = generate_table("members", "2024-03-05", GeneratorConfig())
    assert members.num_rows == member_count(dt.date(2024, 3, 5))
    assert pc.max(bookings["memid"]).as_py() < members.num_rows
    assert set(bookings["facid"].to_pylist()) <= {f[0] for f in FACILITIES}
    guests = pc.sum(pc.equal(bookings["memid"], 0)).as_py()
    assert 0.1 < guests / bookings.num_rows < 0.2, "about 15% guests (member id 0)"
    assert bookings.num_rows == 5000 + 25, "0.5% exact duplicates, as re-sent extracts have"


def test_header_matches_the_course_schema(tmp_path):
    written = LandingWriter.local(str(tmp_path)).write(["2024-03-01"], GeneratorConfig(10))
    headers = {}
    for file in written:
        with open(file.path, newline="") as handle:
            headers[file.table] = next(csv.reader(handle))
    assert headers == {
        "bookings": ["bookid", "facid", "memid", "starttime", "slots"],
        "facilities": [
            "facid",
            "name",
            "membercost",
            "guestcost",
            "initialoutlay",
            "monthlymaintenance",
        ],
        "members": [
            "memid",
            "surname",
            "firstname",
            "address",
            "zipcode",
            "telephone",
            "recommendedby",
            "joindate",
        ],
    }


def test_large_days_are_generated_one_day_at_a_time():
    table = generate_table("bookings", "2024-03-01", GeneratorConfig(bookings_per_day=150_000))
    assert table.num_rows == 150_000 + 750
    assert table.nbytes < 50_000_000


def test_faults_are_appended_the_same_way_every_time_and_only_when_asked(tmp_path):
    day = "2024-03-02"
    plain = LandingWriter.local(str(tmp_path / "plain")).write([day], GeneratorConfig(50))
    faulty = LandingWriter.local(str(tmp_path / "a")).write([day], GeneratorConfig(50, faults=True))
    again = LandingWriter.local(str(tmp_path / "b")).write([day], GeneratorConfig(50, faults=True))

    by_table = {f.table: f for f in plain}
    for first, second in zip(faulty, again, strict=True):
        assert _digest(first.path) == _digest(second.path)
        original = open(by_table[first.table].path, "rb").read()
        content = open(first.path, "rb").read()
        assert content.startswith(original), "faults are appended, good rows kept as they were"
        added = content[len(original) :].count(b"\n")
        expected = {"bookings": len(BOOKING_FAULTS), "members": 1, "facilities": 0}
        assert added == expected[first.table]
        assert first.rows == by_table[first.table].rows + added
