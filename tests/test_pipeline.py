"""The whole lab graph in real Dagster runs on real Spark, on a local folder and on S3."""

from __future__ import annotations

import dagster as dg
import pytest

from adventureworks_orchestration.landing.listing import build_landing_lister
from adventureworks_orchestration.landing.paths import landing_file_path
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
            rows = materialized_rows(result, f"labs/source/{landed_file.table}")
            assert rows[landed_file.day] == landing_rows(
                landing, landed_file.table, landed_file.day
            )
    transformed = materialized_rows(result, "labs/transformed/bookings")
    source = materialized_rows(result, "labs/source/bookings")
    assert all(0 < transformed[day] < source[day] for day in DAYS), "duplicates were removed"


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


@pytest.mark.parametrize(
    ("table", "content", "reason"),
    [
        ("bookings", "bookid,facid,WRONG,starttime,slots\n1,2,3,2024-03-02 10:00:00,1\n", "header"),
        (
            "bookings",
            "bookid,facid,memid,starttime,slots\n1,2,3,2024-03-02 10:00:00\n",
            "malformed",
        ),
        ("members", None, "malformed"),
    ],
    ids=["wrong-header", "missing-field", "bad-value"],
)
def test_bad_landing_file_fails_naming_the_file(
    settings, instance, landed, landing, warehouse, table, content, reason
):
    bad = landing_file_path(table, "2024-03-02")
    if content is None:  # an otherwise good file with one unparsable member id
        lines = landing.read_text(bad).splitlines()
        lines[3] = "not-an-id" + lines[3][lines[3].index(",") :]
        content = "\n".join(lines) + "\n"
    landing.write_text(bad, content)

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    assert not result.success
    failure = _failure_message(result)
    assert f"{table}/2024-03-02.csv" in failure
    assert reason in failure.lower()
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert not retried, "a bad file fails the same way every time: no retry"
    assert not day_folders(warehouse, f"labs/source/{table}"), "nothing published"


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "a step failed"
    error = failures[0].step_failure_data.error
    return "\n".join(filter(None, [error.message, *(c.message for c in _causes(error))]))


def _causes(error):
    while error.cause is not None:
        error = error.cause
        yield error


def test_a_bad_row_in_one_table_publishes_no_table_of_the_run(
    settings, instance, landed, landing, warehouse
):
    """members is read last; bookings and facilities must not be published before it fails."""
    bad = landing_file_path("members", "2024-03-02")
    lines = landing.read_text(bad).splitlines()
    lines[5] = "not-an-id" + lines[5][lines[5].index(",") :]
    landing.write_text(bad, "\n".join(lines) + "\n")

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    assert not result.success
    assert "members/2024-03-02.csv" in _failure_message(result)
    for table in ("bookings", "facilities", "members"):
        assert not day_folders(warehouse, f"labs/source/{table}"), f"{table} was published"
    assert not result.get_asset_materialization_events()


def test_a_header_only_bookings_file_is_a_day_without_bookings(settings, instance, landed, landing):
    """The sensor starts single-day runs: a day with no bookings must just work."""
    header = landing.read_text(landing_file_path("bookings", "2024-03-02")).splitlines()[0]
    landing.write_text(landing_file_path("bookings", "2024-03-02"), header + "\n")

    result = materialize_range(settings, instance, "2024-03-02", "2024-03-02")

    assert result.success
    assert materialized_rows(result, "labs/source/bookings") == {"2024-03-02": 0}
    assert materialized_rows(result, "labs/reports/revenue_per_facility") == {"2024-03-02": 0}
    assert materialized_rows(result, "labs/transformed/members")["2024-03-02"] > 0
