"""Row-level validation of real landing files on real Spark: where every row of a bad-input corpus
goes (accepted, quarantined with which reason, or dropped as an exact duplicate), and that the
counts balance. One Spark scan per table serves every case test (module-scoped fixtures)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from pyspark.sql import functions as F

from adventureworks_orchestration.assets.sample import ingest
from adventureworks_orchestration.assets.sample.schemas import LANDING_CONTRACTS
from adventureworks_orchestration.cli.main import main
from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, generate_table
from adventureworks_orchestration.datagen.faults import BOOKING_FAULTS
from adventureworks_orchestration.landing.parser import unescape_raw
from adventureworks_orchestration.landing.paths import LANDING_TABLES as LANDING
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.landing.quarantine import (
    quarantine_counts,
    quarantine_frame,
    quarantined_rows,
    write_quarantine,
)
from adventureworks_orchestration.landing.reader import LINE, read_records
from adventureworks_orchestration.landing.validation import (
    DayCounts,
    Snapshot,
    accepted,
    day_counts,
    for_keeping,
    validate,
)
from adventureworks_orchestration.resources.landing_zone import LandingZone
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable, TableOptions

from .conftest import landing_view, make_settings, write_landing
from .pipeline_helpers import SOURCE, materialize_range

D1, D2 = "2024-03-01", "2024-03-02"
LANDING_COUNTS = ("landing", "accepted", "quarantined", "duplicate")
BOOKINGS_D1 = [
    "bookid,facid,memid,starttime,slots",
    "1,0,1,2024-03-01 09:00:00,2",  # 2 accepted
    "2,0,0,2024-03-01 10:00:00,1",  # 3 the guest (member 0) needs no member row
    "3,0,1,2024-03-01 11:00:00",  # 4
    "4,0,1,2024-03-01 12:00:00,two",  # 5
    "5,0,1,2024-13-01 12:00:00,1",  # 6
    "6,0,1,2024-03-01 13:00:00,1\xff",  # 7 (the \xff is written as that byte)
    ",0,1,2024-03-01 14:00:00,1",  # 8
    "8,0,1,2024-03-05 09:00:00,1",  # 9
    "9,0,1,2024-03-01 15:00:00,0",  # 10
    "10,0,1,2024-03-01 15:00:00,-3",  # 11
    "11,99,1,2024-03-01 15:00:00,1",  # 12
    "12,0,777,2024-03-01 15:00:00,1",  # 13
    "13,0,-5,2024-03-01 15:00:00,1",  # 14
    "1,0,1,2024-03-01 09:00:00,2",  # 15
    "14,0,1,2024-03-01 16:00:00,1",  # 16
    "14,1,1,2024-03-01 16:00:00,1",  # 17
    "1,0,1,2024-03-01 09:00:00,2",  # 18
]
# BOM and CRLF line ends; bookid 14 again, a day later
BOOKINGS_D2 = [
    "\ufeffbookid,facid,memid,starttime,slots",
    "14,0,1,2024-03-02 09:00:00,1",  # 2
    "20,0,1,2024-03-02 09:00:00,1",  # 3
]
MEMBERS_D1 = [
    "memid,surname,firstname,address,zipcode,telephone,recommendedby,joindate",
    '1,Smith,Darren,"8 Bloomington Ave",4321,555,,2023-01-01 08:00:00',  # 2
    '2,"Two\nLines",Tracy,x,1,555,,2023-01-01 08:00:00',  # 3-4
    "3,Baker,Tim,x,1,555,,yesterday",  # 5
    ' 4,"Owen, ""Tim""",Tim,x,zip,555,,2023-01-01 08:00:00 ',  # 6 spaces, quotes: kept as landed
]

CASES = {
    # (table, day, line): (status, reason code, words the reason must hold)
    "accepted": ("bookings", D1, 2, "accepted", None, None),
    "guest": ("bookings", D1, 3, "accepted", None, None),
    "missing-column": (
        "bookings",
        D1,
        4,
        "quarantined",
        "field_count",
        "wrong number of fields: 4, expected 5",
    ),
    "bad-number": (
        "bookings",
        D1,
        5,
        "quarantined",
        "bad_value",
        "slots 'two' is not a whole number",
    ),
    "bad-timestamp": (
        "bookings",
        D1,
        6,
        "quarantined",
        "bad_value",
        "starttime '2024-13-01 12:00:00' is not a date and time",
    ),
    "non-utf8": ("bookings", D1, 7, "quarantined", "not_utf8", "byte 0xff at position 28"),
    "null-key": ("bookings", D1, 8, "quarantined", "missing_key", "bookid is empty"),
    "another-day": (
        "bookings",
        D1,
        9,
        "quarantined",
        "other_day",
        "starttime 2024-03-05 09:00:00 is not on 2024-03-01",
    ),
    "zero-slots": (
        "bookings",
        D1,
        10,
        "quarantined",
        "below_minimum",
        "slots must be 1 or more, got 0",
    ),
    "negative-slots": ("bookings", D1, 11, "quarantined", "below_minimum", "got -3"),
    "unknown-facility": (
        "bookings",
        D1,
        12,
        "quarantined",
        "unknown_facility",
        "facid 99 is not in the facilities snapshot of 2024-03-01",
    ),
    "unknown-member": (
        "bookings",
        D1,
        13,
        "quarantined",
        "unknown_member",
        "memid 777 is not in the members snapshot of 2024-03-01 (0 needs none)",
    ),
    "negative-member": ("bookings", D1, 14, "quarantined", "unknown_member", "memid -5"),
    "exact-duplicate": (
        "bookings",
        D1,
        15,
        "duplicate",
        "exact_duplicate",
        "an exact copy of line 2",
    ),
    "exact-duplicate-again": (
        "bookings",
        D1,
        18,
        "duplicate",
        "exact_duplicate",
        "an exact copy of line 2",
    ),
    "conflict-winner": ("bookings", D1, 16, "accepted", None, None),
    "conflict-in-a-day": (
        "bookings",
        D1,
        17,
        "quarantined",
        "duplicate_key",
        "bookid 14 is also on line 16 of ",
    ),
    "conflict-across-days": (
        "bookings",
        D2,
        2,
        "quarantined",
        "duplicate_key",
        "bookid 14 is also on line 16 of ",
    ),
    "bom-crlf": ("bookings", D2, 3, "accepted", None, None),
    "member": ("members", D1, 2, "accepted", None, None),
    "quoted-newline": ("members", D1, 3, "quarantined", "line_break", "line break in surname"),
    "member-after-quoted-newline": (
        "members",
        D1,
        5,
        "quarantined",
        "bad_value",
        "joindate 'yesterday'",
    ),
}


def _write(root: Path, table: str, day: str, lines: list[str], newline: str = "\n") -> str:
    path = root / landing_file_path(table, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = newline.join(lines) + newline
    path.write_bytes(text.encode("utf-8").replace("\xff".encode(), b"\xff"))
    return path.as_uri()


def _records(spark, root: Path, table: str, uris: list[str]):
    contract = LANDING_CONTRACTS[table]
    return read_records(spark, uris, contract.columns, root.as_uri(), contract.partition_column)


def _snapshot(spark, table: str, key: str, ids_per_day: dict[str, list[int]]) -> Snapshot:
    rows = [(dt.date.fromisoformat(day), i) for day, ids in ids_per_day.items() for i in ids]
    frame = spark.createDataFrame(rows, f"snapshot_date DATE, {key} INT")
    return Snapshot.of(frame, "snapshot_date", key, list(ids_per_day))


@pytest.fixture(scope="module")
def landing_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    _write(root, "bookings", D1, BOOKINGS_D1)
    _write(root, "bookings", D2, BOOKINGS_D2, newline="\r\n")
    _write(root, "members", D1, MEMBERS_D1)
    return root


@pytest.fixture(scope="module")
def snapshots(spark):
    return {
        "facilities": _snapshot(spark, "facilities", "facid", {D1: [0, 1], D2: [0, 1]}),
        "members": _snapshot(spark, "members", "memid", {D1: [1], D2: [1]}),
    }


@pytest.fixture(scope="module")
def bookings(spark, landing_root, snapshots):
    uris = [(landing_root / landing_file_path("bookings", d)).as_uri() for d in (D1, D2)]
    records = _records(spark, landing_root, "bookings", uris)
    return validate(records, LANDING_CONTRACTS["bookings"], snapshots).cache()


@pytest.fixture(scope="module")
def members(spark, landing_root):
    uri = (landing_root / landing_file_path("members", D1)).as_uri()
    return validate(_records(spark, landing_root, "members", [uri]), LANDING_CONTRACTS["members"])


@pytest.fixture(scope="module")
def fates(bookings, members):
    """(table, day, line) -> the validated row, for every record of the corpus."""
    found = {}
    for table, frame in (("bookings", bookings), ("members", members)):
        for row in frame.collect():
            column = LANDING_CONTRACTS[table].partition_column
            found[(table, row[column].isoformat(), row["line"])] = row
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_each_row_goes_where_its_rule_says(fates, landing_root, case):
    table, day, line, status, code, words = CASES[case]
    row = fates[(table, day, line)]

    assert (row["status"], row["reason_code"]) == (status, code)
    if words:
        assert words in row["reason"], row["reason"]
    assert row["source_file"] == f"{landing_root.as_uri()}/{landing_file_path(table, day)}"


def test_a_conflict_names_the_kept_row_by_file_and_line(fates, landing_root):
    kept = f"{landing_root.as_uri()}/{landing_file_path('bookings', D1)}"
    for key in (("bookings", D1, 17), ("bookings", D2, 2)):
        assert fates[key]["reason"] == (
            f"duplicate key: bookid 14 is also on line 16 of {kept} with other values; that row "
            "is kept (the earliest day, then the lowest line, wins)"
        )


def test_every_landing_row_is_accounted_for_and_the_counts_balance(bookings, members):
    counts = day_counts(bookings, "booking_date", [D1, D2, "2024-03-03"])

    assert counts == {
        D1: DayCounts(landing=17, accepted=3, quarantined=12, duplicates=2),
        D2: DayCounts(landing=2, accepted=1, quarantined=1, duplicates=0),
        "2024-03-03": DayCounts(),
    }
    assert all(c.balanced for c in counts.values())
    assert day_counts(members, "snapshot_date", [D1]) == {
        D1: DayCounts(landing=4, accepted=1, quarantined=3, duplicates=0)
    }


def test_records_of_a_day_outside_the_run_fail_the_counts_instead_of_going_uncounted(bookings):
    """A record must carry one of the run's days: one that does not would be in no count (and a
    quarantine counted empty is published without looking at its rows)."""
    with pytest.raises(ValueError, match=r"2 landing record\(s\) of booking_date \['2024-03-02'\]"):
        day_counts(bookings, "booking_date", [D1])


def test_accepted_rows_are_typed(bookings):
    frame = accepted(bookings, LANDING_CONTRACTS["bookings"])
    rows = frame.orderBy("booking_date", "bookid").collect()

    assert [(r.booking_date.isoformat(), r.bookid) for r in rows] == [
        (D1, 1),
        (D1, 2),
        (D1, 14),
        (D2, 20),
    ]
    assert rows[0].starttime == dt.datetime(2024, 3, 1, 9) and rows[0].slots == 2


def test_the_quarantine_keeps_the_original_line_with_file_line_and_reason(bookings, members):
    stored = quarantine_frame(bookings, "booking_date").orderBy("landing_date", "line").collect()

    assert len(stored) == 13 and [r.line for r in stored][:3] == [4, 5, 6]
    (not_utf8,) = [r for r in stored if r.line == 7]
    assert not_utf8.raw == "6,0,1,2024-03-01 13:00:00,1\\xff"
    assert stored[-1].landing_date.isoformat() == D2 and stored[-1].raw == BOOKINGS_D2[1]
    (two_lines,) = [r for r in quarantine_frame(members, "snapshot_date").collect() if r.line == 3]
    assert (two_lines.last_line, two_lines.raw) == (4, MEMBERS_D1[2].replace("\n", "\\n"))


def test_what_the_source_step_keeps_gives_the_same_accepted_rows_quarantine_and_counts(
    bookings, members
):
    """``for_keeping`` nulls what only the quarantine reads on the other records; every use of
    the kept rows (accepted rows, quarantine, counts) must come out as from the whole rows."""
    for table, frame in (("bookings", bookings), ("members", members)):
        contract = LANDING_CONTRACTS[table]
        column = contract.partition_column
        kept = for_keeping(frame)
        assert kept.columns == frame.columns
        assert sorted(accepted(kept, contract).collect()) == sorted(
            accepted(frame, contract).collect()
        )
        assert sorted(quarantine_frame(kept, column).collect()) == sorted(
            quarantine_frame(frame, column).collect()
        )
        assert day_counts(kept, column, [D1, D2]) == day_counts(frame, column, [D1, D2])
        others = kept.where("status != 'quarantined'").collect()
        assert others and all(r.raw is None and r.source_file is None for r in others)


def test_a_bookid_stored_for_an_earlier_day_wins_over_the_run(spark, landing_root, snapshots):
    uri = (landing_root / landing_file_path("bookings", D2)).as_uri()
    records = _records(spark, landing_root, "bookings", [uri])
    earlier = spark.createDataFrame(
        [(20, dt.date(2024, 2, 28))], "bookid BIGINT, booking_date DATE"
    )

    rows = validate(records, LANDING_CONTRACTS["bookings"], snapshots, earlier).collect()

    (late,) = [r for r in rows if r.line == 3]
    assert (late.status, late.reason_code) == ("quarantined", "duplicate_key")
    assert late.reason == (
        "duplicate key: bookid 20 is already stored for 2024-02-28 (a row ingested first is kept)"
    )


@pytest.mark.parametrize("with_stored_keys", [False, True])
def test_bookings_records_are_shuffled_once_and_sorted_once_for_their_key_checks(
    spark, landing_root, with_stored_keys
):
    """Both duplicate windows (and the join with stored keys) cluster by the bookid and more: one
    shuffle of the records by the bookid serves them all, and one sort (the exact duplicates'
    window begins with the bookid, the key's window needs no order). Read from the executed
    plan, through the JVM (Spark has no public Python call for it); with stored keys, their own
    grouping by bookid is the one other exchange, and their join's sort the other sort (over the
    stored keys, not the records)."""
    uris = [(landing_root / landing_file_path("bookings", d)).as_uri() for d in (D1, D2)]
    contract = LANDING_CONTRACTS["bookings"]
    stored = spark.createDataFrame(
        [(9, dt.date(2024, 2, 20))], f"bookid BIGINT, {contract.partition_column} DATE"
    )
    frame = validate(
        _records(spark, landing_root, "bookings", uris),
        contract,
        None,
        stored if with_stored_keys else None,
    )

    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert plan.count("Exchange hashpartitioning") == (2 if with_stored_keys else 1), plan
    assert plan.count("Sort [") == (2 if with_stored_keys else 1), plan  # (the other: stored keys)


def test_a_late_file_loses_a_bookid_already_stored_for_the_day_after(settings, instance, spark):
    """Day D's file ingested after D+1 was stored: a bookid D+1 holds is quarantined on D, naming
    D+1 (the row ingested first stays), and D's counts balance."""
    write_landing(settings, [D1, D2], bookings_per_day=30)
    stored = materialize_range(settings, instance, D2, D2, selection=SOURCE)
    landing = landing_view(settings)
    taken = landing.read_text(landing_file_path("bookings", D2)).splitlines()[1].split(",")[0]
    path = landing_file_path("bookings", D1)
    lines = landing.read_text(path).splitlines()
    late = ",".join([taken, *lines[1].split(",")[1:]])  # D1's first booking under D2's bookid
    landing.write_text(path, "\n".join([*lines, late]) + "\n")

    result = materialize_range(settings, instance, D1, D1, selection=SOURCE)

    assert stored.success and result.success
    (row,) = quarantined_rows(settings, "bookings", [D1])
    assert (row.line, row.reason_code, row.raw) == (len(lines) + 1, "duplicate_key", late)
    assert row.reason == (
        f"duplicate key: bookid {taken} is already stored for {D2} (a row ingested first is kept)"
    )
    (metadata,) = [
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key.to_user_string() == "labs/source/bookings"
    ]
    counts = {name: metadata[f"{name}_rows"].value for name in LANDING_COUNTS}
    assert counts == {"landing": 31, "accepted": 30, "quarantined": 1, "duplicate": 0}


def test_a_day_without_a_known_snapshot_is_not_checked(spark, landing_root):
    uri = (landing_root / landing_file_path("bookings", D2)).as_uri()
    records = _records(spark, landing_root, "bookings", [uri])
    only_d1 = {"members": _snapshot(spark, "members", "memid", {D1: [5]})}

    rows = validate(records, LANDING_CONTRACTS["bookings"], only_d1).collect()

    assert {r.line: r.status for r in rows} == {2: "accepted", 3: "accepted"}


@pytest.fixture(scope="module")
def stored(tmp_path_factory, bookings, members):
    """The settings of a warehouse whose quarantine holds the corpus' rejected rows."""
    settings = make_settings(tmp_path_factory.mktemp("quarantine") / "data")
    warehouse = settings.warehouse_dir.absolute().as_uri()
    for table, frame, column in (
        ("bookings", bookings, "booking_date"),
        ("members", members, "snapshot_date"),
    ):
        write_quarantine(
            quarantine_frame(frame, column), warehouse, table, [D1, D2], TableOptions()
        )
    return settings


def test_the_stored_quarantine_gives_back_every_rejected_line_as_landed(stored):
    settings = stored
    stored = {
        (r.table, r.day, r.line): r
        for t in ("bookings", "members")
        for r in quarantined_rows(settings, t)
    }
    assert quarantine_counts(settings) == {
        "bookings": {D1: 12, D2: 1},
        "facilities": {},
        "members": {D1: 3, D2: 0},
    }
    lines = {
        ("bookings", D1): BOOKINGS_D1,
        ("bookings", D2): BOOKINGS_D2,
        ("members", D1): MEMBERS_D1,
    }
    for (table, day, line), row in stored.items():
        landed = "\n".join(lines[(table, day)]).encode().replace("\xff".encode(), b"\xff")
        physical = landed.split(b"\n")[line - 1 : row.last_line]
        assert unescape_raw(row.raw) == b"\n".join(physical), (table, day, line)
    assert stored[("members", D1, 6)].raw == MEMBERS_D1[4]  # spaces and quotes kept


def test_awo_quarantine_lists_a_days_rows_with_file_line_and_reason(stored, capsys):
    assert main(["--data-dir", str(stored.data_dir), "quarantine", "--day", D1]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"15 quarantined landing row(s) under {stored.warehouse_root}/quarantine"
    assert out[1] == "bookings 2024-03-01: 12 row(s)"
    assert out[2].endswith(
        "bookings/bookings/2024-03-01.csv line 4: wrong number of fields: 4, expected 5"
    )
    assert out[3] == "    3,0,1,2024-03-01 11:00:00"
    assert "members 2024-03-01: 3 row(s)" in out
    assert any(
        line.endswith(
            "members/2024-03-01.csv line 3-4: line break in surname: the value "
            "spans lines, which the warehouse's CSV tables cannot store"
        )
        for line in out
    )


def test_awo_quarantine_sums_up_per_table_day_and_reason(stored, capsys):
    assert main(["--data-dir", str(stored.data_dir), "quarantine", "--table", "bookings"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"13 quarantined landing row(s) under {stored.warehouse_root}/quarantine",
        "bookings 2024-03-01: 12 row(s)",
        "bookings 2024-03-02: 1 row(s)",
    ]
    assert out[3:6] == ["  bad_value: 2", "  below_minimum: 2", "  duplicate_key: 2"]
    assert "  unknown_member: 2" in out and "  unknown_facility: 1" in out


def test_awo_quarantine_before_any_ingestion_says_so(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "quarantine"]) == 0

    assert capsys.readouterr().out.startswith("nothing ingested yet: no quarantine under ")


def test_generated_faults_are_each_quarantined_with_their_reason(spark, tmp_path):
    """``awo generate --faults``: every kind of hand-made bad row ends in the quarantine with the
    reason it was made for; the reused bookid of the day before only once that day is in."""
    days = [D1, D2]
    LandingWriter.local(tmp_path).write(days, GeneratorConfig(bookings_per_day=40, faults=True))
    snapshots = {
        table: _snapshot(
            spark,
            table,
            key,
            {d: generate_table(table, d, GeneratorConfig())[key].to_pylist() for d in days},
        )
        for table, key in (("facilities", "facid"), ("members", "memid"))
    }
    uris = {t: [(tmp_path / landing_file_path(t, d)).as_uri() for d in days] for t in LANDING}

    bookings = validate(
        _records(spark, tmp_path, "bookings", uris["bookings"]),
        LANDING_CONTRACTS["bookings"],
        snapshots,
    )
    members = validate(
        _records(spark, tmp_path, "members", uris["members"]), LANDING_CONTRACTS["members"]
    )

    rejected = Counter(
        (r.landing_date.isoformat(), r.reason_code)
        for r in quarantine_frame(bookings, "booking_date").collect()
    )
    expected = Counter(BOOKING_FAULTS.values())
    assert rejected == Counter(
        {(D2, code): n for code, n in expected.items()}
        | {(D1, code): n for code, n in (expected - Counter(["duplicate_key"])).items()}
    )
    counts = day_counts(bookings, "booking_date", days)
    assert counts[D1].quarantined == len(BOOKING_FAULTS) - 1 and counts[D1].balanced
    (member,) = (
        quarantine_frame(members, "snapshot_date").where("landing_date = '2024-03-01'").collect()
    )
    assert member.reason_code == "bad_value" and "joindate 'not a date'" in member.reason


def test_the_same_landing_rows_give_byte_identical_tables_and_quarantine(
    spark, tmp_path, landing_root, snapshots
):
    """The table write sorts each day's rows: re-running a day (conflicting duplicates included)
    gives the same bytes. Each write reads and validates the landing files anew, the second with
    the files listed the other way round, another number of shuffle partitions and the validated
    rows handed over in another order and partitioning, so neither Spark's read order nor its
    partitioning decides where a row goes."""
    contract = LANDING_CONTRACTS["bookings"]

    def written(
        root: Path, days: list[str], shuffle_partitions: str, scrambled: bool = False
    ) -> list[bytes]:
        uris = [(landing_root / landing_file_path("bookings", d)).as_uri() for d in days]
        before = spark.conf.get("spark.sql.shuffle.partitions")
        spark.conf.set("spark.sql.shuffle.partitions", shuffle_partitions)
        try:
            validated = validate(
                _records(spark, landing_root, "bookings", uris), contract, snapshots
            )
            if scrambled:  # rows in reverse line order, spread over three partitions at random
                validated = validated.repartition(3, F.rand(11)).sortWithinPartitions(F.desc(LINE))
            uri = root.as_uri()
            PartitionedTable(spark, f"{uri}/source", "booking_date").write(
                accepted(validated, contract), [D1, D2]
            )
            write_quarantine(
                quarantine_frame(validated, "booking_date"),
                uri,
                "bookings",
                [D1, D2],
                TableOptions(),
            )
        finally:
            spark.conf.set("spark.sql.shuffle.partitions", before)
        files = sorted(p for p in root.rglob("part-*.csv"))
        days = [[part for part in p.relative_to(root).parts if "=20" in part][0] for p in files]
        return sorted(zip(days, (p.read_bytes() for p in files), strict=True))

    first = written(tmp_path / "a", [D1, D2], "1")
    second = written(tmp_path / "b", [D2, D1], "7", scrambled=True)

    assert first == second and len(first) == 4
    assert any(b"duplicate key: bookid 14" in data for _, data in first), "a conflicting duplicate"


@pytest.mark.parametrize("table_format", ["csv", "delta"])
def test_a_subset_run_checks_against_stored_snapshots_and_earlier_bookids(
    spark, tmp_path, table_format
):
    """A bookings-only run: its snapshots and the bookids of the days before it are read as the
    source assets stored them, in either format; a day with no stored snapshot is named as not
    checked."""
    from adventureworks_orchestration.storage.table_formats import open_table

    settings = make_settings(tmp_path / "data")
    zone = LandingZone(root=str(settings.landing_dir), warehouse_root=settings.warehouse_root)
    source = f"{settings.warehouse_dir.absolute().as_uri()}/labs/source"

    def store(table: str, column: str, frame, days) -> None:
        root = f"{source}/{table}"
        open_table(spark, root, column, table_format, name=table).write(frame, days)

    members = spark.createDataFrame([(1, dt.date(2024, 3, 1))], "memid INT, snapshot_date DATE")
    store("members", "snapshot_date", members, [D1])
    stored = spark.createDataFrame([(20, dt.date(2024, 2, 28))], "bookid BIGINT, booking_date DATE")
    store("bookings", "booking_date", stored, ["2024-02-28"])
    warnings: list[str] = []
    log = SimpleNamespace(warning=warnings.append)

    found, unchecked = ingest._snapshots(spark, zone, "bookings", [D1, D2], {}, log)
    earlier = ingest._stored_keys(spark, zone, "bookings", [D2])

    assert unchecked == {"facilities": [D1, D2], "members": [D2]}
    assert set(found) == {"members"} and found["members"].days == {D1}
    assert len(warnings) == 2 and "memid is not checked for 2024-03-02" in warnings[1]
    # the facid is checked again before the reports, the memid is not: each message says which
    assert warnings[0].endswith(
        "(the foreign_keys_resolve check on labs/transformed/bookings still stops a booking "
        "of an unknown facility before the reports)."
    )
    assert warnings[1].endswith(
        "Run members for them too (nothing checks the memid of those rows later: an unknown "
        "one reaches the reports)."
    )
    assert [tuple(r) for r in earlier.collect()] == [(20, dt.date(2024, 2, 28))]
