"""The whole lab graph in real Dagster runs on real Spark, on a local folder and on S3."""

from __future__ import annotations

import csv
import io

import dagster as dg
import pytest

from adventureworks_orchestration.landing.listing import build_landing_lister
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.landing.quarantine import quarantine_counts, quarantined_rows
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable

from .conftest import landing_view, warehouse_view, write_landing
from .pipeline_helpers import (
    ALL_ASSETS,
    SOURCE,
    day_folders,
    landing_rows,
    materialize_range,
    materialized_rows,
)

DAYS = days_in_range("2024-03-01", "2024-03-03")


@pytest.fixture
def settings(storage_settings):
    """Every test here runs once per storage: the local folder and the S3 server."""
    return storage_settings


@pytest.fixture
def warehouse(settings):
    return warehouse_view(settings)


@pytest.fixture
def landing(settings):
    return landing_view(settings)


@pytest.fixture
def landed(settings, spark):
    """Three days of landing data, one extra day before and after that must never be touched."""
    return write_landing(settings, days_in_range("2024-02-29", "2024-03-04"))


def test_range_run_writes_exactly_those_days_with_landing_row_counts(
    settings, instance, landed, warehouse, landing
):
    result = materialize_range(settings, instance, DAYS[0], DAYS[-1])

    assert result.success
    for asset in ALL_ASSETS:
        column = "booking_date" if "bookings" in asset or "reports" in asset else "snapshot_date"
        assert day_folders(warehouse, asset) == [f"{column}={day}" for day in DAYS], asset
    for landed_file in landed:
        if landed_file.day in DAYS:
            counts = _day_counts(result, f"labs/source/{landed_file.table}", landed_file.day)
            assert counts["landing_rows"] == landing_rows(
                landing, landed_file.table, landed_file.day
            )
            assert counts["landing_rows"] == counts["accepted_rows"] + counts["duplicate_rows"]
            assert counts["quarantined_rows"] == 0, "the sample data has no bad rows"
    source = materialized_rows(result, "labs/source/bookings")
    for day in DAYS:
        counts = _day_counts(result, "labs/source/bookings", day)
        assert source[day] == counts["accepted_rows"]
        assert counts["duplicate_rows"] > 0, "the sample data re-sends a few bookings"
    assert materialized_rows(result, "labs/transformed/bookings") == source


def _day_counts(result: dg.ExecuteInProcessResult, asset: str, day: str) -> dict[str, int]:
    key = dg.AssetKey.from_user_string(asset)
    (event,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == key and e.materialization.partition == day
    ]
    names = ("landing_rows", "accepted_rows", "quarantined_rows", "duplicate_rows")
    return {name: event.metadata[name].value for name in names}


def test_source_materializations_say_which_landing_file_built_each_day(settings, instance, landed):
    result = materialize_range(settings, instance, DAYS[0], DAYS[-1])

    listed = {
        item.key: item for item in build_landing_lister(settings).list_after("bookings/members/")
    }
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key != dg.AssetKey(["labs", "source", "members"]):
            continue
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        expected = listed[landing_file_path("members", materialization.partition)]
        assert metadata["landing_file"] == expected.key
        assert metadata["landing_etag"] == expected.etag
        assert metadata["landing_size"] == expected.size


def test_range_run_is_one_run_with_one_step_per_asset(settings, instance, landed):
    result = materialize_range(settings, instance, DAYS[0], DAYS[-1])

    assert len(instance.get_run_records()) == 1
    steps = {
        event.step_key for event in result.all_events if event.event_type_value == "STEP_START"
    }
    assert len(steps) == 6  # the source multi-asset + 5 single assets
    for asset in ALL_ASSETS:
        assert sorted(materialized_rows(result, asset)) == DAYS


def test_rematerializing_one_day_leaves_other_days_untouched(
    settings, instance, landed, spark, warehouse
):
    materialize_range(settings, instance, DAYS[0], DAYS[-1])
    before = warehouse.checksums()
    report = PartitionedTable(
        spark, f"{warehouse.root_uri}/labs/reports/revenue_per_facility", "booking_date"
    )
    rows_before = report.read(["2024-03-02"]).collect()

    result = materialize_range(settings, instance, "2024-03-02", "2024-03-02")

    after = warehouse.checksums()
    other_days = [k for k in before if "=2024-03-0" in k and "2024-03-02" not in k]
    assert other_days and all(after[k] == before[k] for k in other_days)
    assert sorted(materialized_rows(result, "labs/reports/revenue_per_facility")) == ["2024-03-02"]
    assert sorted(report.read(["2024-03-02"]).collect()) == sorted(rows_before)


def test_single_day_downstream_run_reads_only_its_day(settings, instance, landed, warehouse):
    materialize_range(settings, instance, DAYS[0], DAYS[-1])
    # Poison the stored files of every other day upstream: reading them would fail to parse.
    for asset in SOURCE:
        for name in warehouse.checksums(asset):
            if "/part-" in name and "=2024-03-02/" not in name and ".crc" not in name:
                warehouse.write_text(f"{asset}/{name}", "this,is,not,valid\n" * 3)

    result = materialize_range(
        settings, instance, "2024-03-02", "2024-03-02", selection=["labs/transformed/bookings"]
    )

    assert result.success
    assert sorted(materialized_rows(result, "labs/transformed/bookings")) == ["2024-03-02"]


def test_multi_asset_subset_materializes_only_the_selected_table(
    settings, instance, landed, warehouse
):
    result = materialize_range(
        settings, instance, DAYS[0], DAYS[-1], selection=["labs/source/members"]
    )

    materialized = {e.materialization.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey(["labs", "source", "members"])}
    assert warehouse.folders("labs/source") == ["members"]


def test_missing_landing_file_fails_naming_it(settings, instance, landed, landing, warehouse):
    landing.remove(landing_file_path("facilities", "2024-03-02"))

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    assert not result.success
    failure = _failure_message(result)
    assert "facilities/2024-03-02.csv" in failure
    assert warehouse.checksums() == {}, "nothing written"


def test_bad_landing_file_fails_naming_the_file(settings, instance, landed, warehouse, landing):
    """A file whose header is wrong is unusable as a whole: the run fails, naming it, no retry."""
    bad = landing_file_path("bookings", "2024-03-02")
    landing.write_text(bad, "bookid,facid,WRONG,starttime,slots\n1,2,3,2024-03-02 10:00:00,1\n")

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    assert not result.success
    failure = _failure_message(result)
    assert "bookings/2024-03-02.csv" in failure and "header" in failure
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert not retried, "a bad file fails the same way every time: no retry"
    assert not day_folders(warehouse, "labs/source/bookings"), "nothing published"


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "a step failed"
    error = failures[0].step_failure_data.error
    return "\n".join(filter(None, [error.message, *(c.message for c in _causes(error))]))


def _causes(error):
    while error.cause is not None:
        error = error.cause
        yield error


def test_a_bad_row_is_quarantined_and_the_bookings_it_orphans_too(
    settings, instance, landed, landing, warehouse
):
    """Member 4's id is garbled in the 2024-03-02 snapshot: that line is quarantined, so are the
    day's bookings of member 4 (unknown member), and every table of every day is published."""
    day = "2024-03-02"
    members_file = landing_file_path("members", day)
    lines = landing.read_text(members_file).splitlines()
    assert lines[5].startswith("4,")
    lines[5] = "not-an-id" + lines[5][1:]
    landing.write_text(members_file, "\n".join(lines) + "\n")
    bookings = list(csv.reader(io.StringIO(landing.read_text(landing_file_path("bookings", day)))))
    orphaned = [row for row in bookings[1:] if row[2] == "4"]  # exact copies too: both rejected

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1])

    assert result.success
    for table in ("bookings", "facilities", "members"):
        assert day_folders(warehouse, f"labs/source/{table}") == [
            f"{'booking_date' if table == 'bookings' else 'snapshot_date'}={d}" for d in DAYS
        ]
    members = _day_counts(result, "labs/source/members", day)
    assert members == {
        "landing_rows": len(lines) - 1,
        "accepted_rows": len(lines) - 2,
        "quarantined_rows": 1,
        "duplicate_rows": 0,
    }
    booked = _day_counts(result, "labs/source/bookings", day)
    assert booked["quarantined_rows"] == len(orphaned) > 0
    assert (
        booked["landing_rows"]
        == len(bookings) - 1
        == sum(booked[k] for k in ("accepted_rows", "quarantined_rows", "duplicate_rows"))
    )
    (member,) = quarantined_rows(settings, "members", [day])
    assert (member.line, member.reason_code, member.raw) == (6, "bad_value", lines[5])
    assert member.source_file == f"{landing.root_uri}/{members_file}"
    assert "memid 'not-an-id' is not a whole number" in member.reason
    rejected = list(quarantined_rows(settings, "bookings", [day]))
    assert {r.reason_code for r in rejected} == {"unknown_member"}
    assert quarantine_counts(settings) == {
        "bookings": {d: len(orphaned) if d == day else 0 for d in DAYS},
        "facilities": dict.fromkeys(DAYS, 0),
        "members": {d: 1 if d == day else 0 for d in DAYS},
    }


def test_a_header_only_bookings_file_is_a_day_without_bookings(settings, instance, landed, landing):
    """The sensor starts single-day runs: a day with no bookings must just work."""
    header = landing.read_text(landing_file_path("bookings", "2024-03-02")).splitlines()[0]
    landing.write_text(landing_file_path("bookings", "2024-03-02"), header + "\n")

    result = materialize_range(settings, instance, "2024-03-02", "2024-03-02")

    assert result.success
    assert materialized_rows(result, "labs/source/bookings") == {"2024-03-02": 0}
    assert materialized_rows(result, "labs/reports/revenue_per_facility") == {"2024-03-02": 0}
    assert materialized_rows(result, "labs/transformed/members")["2024-03-02"] > 0
