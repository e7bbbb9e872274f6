"""Data-quality checks: per-day verdicts (plain functions) and, in one real run, a blocking
check that keeps a bad day from the reports until its input is fixed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dagster as dg

from adventureworks_orchestration.checks.quality import (
    bookings_failures,
    quarantine_share_failures,
)
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.landing.validation import DayCounts

from .conftest import landing_view, write_landing
from .pipeline_helpers import materialize_range

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

    landing.write_text(path, good)
    fixed = materialize_range(settings, instance, D2, D2)

    assert _evaluation(fixed, "labs/source/bookings", "quarantine_share").passed
    for name in ("primary_key_unique", "foreign_keys_resolve", "no_negative_amounts"):
        assert _evaluation(fixed, "labs/transformed/bookings", name).passed
    assert "labs/reports/revenue_per_facility" in _materialized(fixed)
