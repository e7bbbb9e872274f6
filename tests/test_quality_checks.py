"""Data-quality checks: per-day verdicts (plain functions) and, in one real run, a blocking
check that keeps a bad day from the reports until its input is fixed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg
from pyspark.sql import DataFrame
from pyspark.sql.types import DecimalType, IntegerType, LongType, StructField, StructType

from adventureworks_orchestration.assets.sample import transforms
from adventureworks_orchestration.checks.quality import (
    bookings_failures,
    quarantine_share_failures,
    row_count_failures,
    schema_differences,
    unjudged_row_counts,
)
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.landing.quarantine import quarantine_counts, quarantined_rows
from adventureworks_orchestration.landing.validation import DayCounts
from adventureworks_orchestration.partitions.days import days_in_range

from .conftest import landing_view, write_landing
from .pipeline_helpers import ALL_ASSETS, SOURCE, materialize_range

D1, D2 = "2024-03-01", "2024-03-02"


def test_quarantine_share_fails_the_days_above_the_limit():
    counts = {
        D1: DayCounts(landing=100, accepted=95, quarantined=5),
        D2: DayCounts(landing=100, accepted=90, quarantined=6, duplicates=4),
        "2024-03-03": DayCounts(),
    }

    assert quarantine_share_failures(counts, 0.05) == {
        D2: "6 of 100 landing rows quarantined (6.0% > 5.0%)"
    }


def test_row_count_warns_for_a_day_far_from_the_mean_of_the_days_before_it():
    days = days_in_range("2024-03-01", "2024-03-10")
    counts = dict.fromkeys(days[:7], 100) | {days[7]: 10, days[8]: 120, days[9]: 40}

    failing = row_count_failures(counts, days, band=0.5)

    # days 1-3 have too little history; 8 is at 10% of its mean; 9 (mean 87.1 with day 8 in it)
    # is within +-50%; 10 is below half of its mean (90)
    assert failing == {
        days[7]: "10 rows, 10% of the mean 100.0 of the 7 day(s) before (allowed: +-50%)",
        days[9]: "40 rows, 44% of the mean 90.0 of the 7 day(s) before (allowed: +-50%)",
    }
    assert row_count_failures(counts, days, band=0.95) == {}


def test_row_count_leaves_days_with_too_little_history_unjudged():
    counts = {"2024-03-01": 100, "2024-03-02": 100, "2024-03-04": 1, "2024-03-12": 1}
    days = ["2024-03-04", "2024-03-12"]

    # 03-04 has two days before it, 03-12 none of the 7 before it (03-04 is 8 days earlier)
    assert unjudged_row_counts(counts, days) == days
    assert row_count_failures(counts, days, band=0.5) == {}
    counts["2024-03-03"] = 100
    assert unjudged_row_counts(counts, days) == ["2024-03-12"]
    assert list(row_count_failures(counts, days, band=0.5)) == ["2024-03-04"]


def test_schema_differences_name_missing_extra_and_retyped_columns():
    contract = StructType(
        [
            StructField("bookid", LongType(), False),
            StructField("slots", IntegerType()),
            StructField("cost", DecimalType(12, 2)),
            StructField("facid", IntegerType()),
        ]
    )
    same_in_another_order = StructType(
        [
            StructField("facid", IntegerType(), False),  # nullability is not compared
            StructField("cost", DecimalType(12, 2)),
            StructField("slots", IntegerType()),
            StructField("bookid", LongType()),
        ]
    )
    drifted = StructType(
        [
            StructField("bookid", IntegerType()),
            StructField("slots", IntegerType()),
            StructField("facid", IntegerType()),
            StructField("note", IntegerType()),
        ]
    )

    assert schema_differences(same_in_another_order, contract) == {}
    assert schema_differences(drifted, contract) == {
        "bookid": "is int, contract: bigint",
        "cost": "missing (contract: decimal(12,2))",
        "note": "not in the contract (int)",
    }


def test_bookings_checks_name_the_failing_day_per_check(spark):
    day1, day2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)
    priced = spark.createDataFrame(
        [
            (1, Decimal("5.00"), day1),
            (2, Decimal("5.00"), day1),
            (3, Decimal("5.00"), day2),
            (3, None, day2),  # repeated, and its facility has no price
            (4, Decimal("-1.00"), day2),
        ],
        "bookid BIGINT, cost DECIMAL(12,2), booking_date DATE",
    )

    assert bookings_failures(priced, "booking_date", [D1, D2]) == {
        "primary_key_unique": {D2: "1 repeated bookid(s)"},
        "foreign_keys_resolve": {D2: "1 booking(s) whose facility is not in that day's snapshot"},
        "no_negative_amounts": {D2: "1 negative cost(s)"},
    }
    assert bookings_failures(priced, "booking_date", [D1])["primary_key_unique"] == {}


def _evaluation(result: dg.ExecuteInProcessResult, asset: str, check: str):
    (found,) = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    ]
    return found


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }


def test_a_day_with_too_many_quarantined_rows_stops_the_reports_until_fixed(
    settings, instance, spark
):
    write_landing(settings, [D1, D2], bookings_per_day=30)
    landing = landing_view(settings)
    path = landing_file_path("bookings", D2)
    good = landing.read_text(path)
    lines = good.splitlines()
    bad = [lines[0], *(line[: line.rindex(",")] + ",0" for line in lines[1:11]), *lines[11:]]
    landing.write_text(path, "\n".join(bad) + "\n")  # 10 of 30 bookings with 0 slots

    blocked = materialize_range(settings, instance, D1, D2, raise_on_error=False)

    assert not blocked.success
    check = _evaluation(blocked, "labs/source/bookings", "quarantine_share")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["failing_days"].value == D2
    assert check.metadata[f"day {D2}"].value.startswith("10 of ")
    assert _evaluation(blocked, "labs/source/members", "quarantine_share").passed
    assert _materialized(blocked) == {
        "labs/source/bookings",
        "labs/source/facilities",
        "labs/source/members",
    }, "nothing downstream of a failed blocking check"
    assert not [e for e in blocked.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert quarantine_counts(settings, ["bookings"]) == {"bookings": {D1: 0, D2: 10}}

    landing.write_text(path, good)
    fixed = materialize_range(settings, instance, D2, D2)

    assert quarantine_counts(settings, ["bookings"]) == {"bookings": {D1: 0, D2: 0}}, (
        "re-running a day replaces its quarantine"
    )
    assert not list(quarantined_rows(settings, "bookings", [D2]))
    assert _evaluation(fixed, "labs/source/bookings", "quarantine_share").passed
    for name in ("primary_key_unique", "foreign_keys_resolve", "no_negative_amounts"):
        assert _evaluation(fixed, "labs/transformed/bookings", name).passed
    assert "labs/reports/revenue_per_facility" in _materialized(fixed)


def test_a_day_far_below_its_trailing_mean_warns_and_the_reports_still_materialize(
    settings, instance, spark
):
    days = days_in_range("2024-03-01", "2024-03-05")
    write_landing(settings, days, bookings_per_day=30)
    landing = landing_view(settings)
    path = landing_file_path("bookings", days[4])
    landing.write_text(path, "\n".join(landing.read_text(path).splitlines()[:4]) + "\n")
    materialize_range(settings, instance, days[0], days[2], selection=SOURCE)  # stored history

    result = materialize_range(settings, instance, days[3], days[4])

    assert result.success, "a warning does not fail the run"
    check = _evaluation(result, "labs/source/bookings", "row_count_in_band")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    # 03-04 judged against the 3 stored days before the run, 03-05 also against the run's 03-04
    assert check.metadata["days_checked"].value == 2
    assert check.metadata["days_not_judged"].value == "none"
    assert check.metadata["failing_days"].value == days[4]
    assert check.metadata[f"day {days[4]}"].value.startswith("3 rows, 10% of the mean 30.0 of")
    assert _materialized(result) == set(ALL_ASSETS), "non-blocking: everything downstream ran"
    for asset in ALL_ASSETS:  # every transformed and report output as its contract says
        evaluations = [
            e
            for e in result.get_asset_check_evaluations()
            if e.asset_key.to_user_string() == asset and e.check_name == "schema_matches_contract"
        ]
        if asset in SOURCE:  # typed by the landing contract itself: nothing to compare
            assert evaluations == [], asset
        else:
            assert [e.passed for e in evaluations] == [True], asset


def test_a_drifted_schema_fails_its_contract_check_and_stops_the_reports(
    settings, instance, spark, monkeypatch
):
    enrich = transforms.enrich_bookings

    def without_facility_name(bookings: DataFrame, facilities: DataFrame) -> DataFrame:
        return enrich(bookings, facilities).drop("facility_name")

    monkeypatch.setattr(transforms, "enrich_bookings", without_facility_name)
    write_landing(settings, [D1], bookings_per_day=30)

    result = materialize_range(settings, instance, D1, D1, raise_on_error=False)

    assert not result.success
    check = _evaluation(result, "labs/transformed/bookings", "schema_matches_contract")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["differing_columns"].value == "facility_name"
    assert check.description == "facility_name: missing (contract: string)"
    assert _evaluation(result, "labs/source/bookings", "row_count_in_band").passed
    materialized = _materialized(result)
    assert "labs/transformed/bookings" in materialized
    assert not {"labs/reports/revenue_per_facility", "labs/reports/bookings_per_member"} & (
        materialized
    ), "nothing downstream of a drifted schema"
