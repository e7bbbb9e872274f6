"""The pure transformations on tiny hand-made DataFrames (no files, no Dagster)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import Row

from adventureworks_orchestration.assets.sample import transforms

D1, D2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)


@pytest.fixture
def facilities(spark):
    return spark.createDataFrame(
        [
            (0, " Tennis Court 1 ", Decimal("5.00"), Decimal("25.00"), D1),
            (0, "Tennis Court 1", Decimal("6.00"), Decimal("30.00"), D2),
        ],
        "facid INT, name STRING, membercost DECIMAL(12,2), guestcost DECIMAL(12,2), "
        "snapshot_date DATE",
    )


@pytest.fixture
def bookings(spark):
    start = dt.datetime(2024, 3, 1, 9)
    return spark.createDataFrame(
        [
            (1, 0, 7, start, 2, D1),  # member, 2 slots at 5.00
            (2, 0, 0, start, 1, D1),  # guest, 1 slot at 25.00
            (3, 0, 0, start, 3, D2),  # guest on the day the price changed: 3 x 30.00
            (4, 9, 7, start, 1, D2),  # facility gone from a replaced snapshot: kept, no cost
        ],
        "bookid BIGINT, facid INT, memid INT, starttime TIMESTAMP, slots INT, booking_date DATE",
    )


def test_enrich_bookings_prices_by_that_days_rates(bookings, facilities):
    clean = transforms.clean_facilities(facilities)
    result = {r.bookid: r for r in transforms.enrich_bookings(bookings, clean).collect()}
    assert sorted(result) == [1, 2, 3, 4]
    assert result[1].cost == Decimal("10.00") and not result[1].is_guest
    assert result[2].cost == Decimal("25.00") and result[2].is_guest
    assert result[3].cost == Decimal("90.00")
    assert result[4].cost is None and result[4].facility_name is None
    assert result[1].facility_name == "Tennis Court 1"


def test_revenue_per_facility_sums_per_day(bookings, facilities):
    enriched = transforms.enrich_bookings(bookings, transforms.clean_facilities(facilities))
    rows = {
        (r.booking_date, r.facid): r for r in transforms.revenue_per_facility(enriched).collect()
    }
    assert rows[(D1, 0)].bookings == 2
    assert rows[(D1, 0)].revenue == Decimal("35.00")
    assert rows[(D1, 0)].guest_revenue == Decimal("25.00")
    assert rows[(D2, 0)].revenue == Decimal("90.00")
    assert rows[(D2, 9)].revenue is None


def test_bookings_per_member_names_members_from_that_days_snapshot(spark, bookings, facilities):
    members = spark.createDataFrame(
        [
            Row(memid=0, surname="GUEST", firstname="GUEST", snapshot_date=D1),
            Row(memid=7, surname=" Smith ", firstname="Darren", snapshot_date=D1),
            Row(memid=7, surname="Smith-Jones", firstname="Darren", snapshot_date=D2),
        ]
    )
    enriched = transforms.enrich_bookings(bookings, transforms.clean_facilities(facilities))
    rows = {
        (r.booking_date, r.memid): r
        for r in transforms.bookings_per_member(
            enriched, transforms.clean_members(members)
        ).collect()
    }
    assert rows[(D1, 7)].member_name == "Darren Smith"
    assert rows[(D1, 7)].bookings == 1 and rows[(D1, 7)].spend == Decimal("10.00")
    assert rows[(D1, 0)].member_name == "GUEST"
    assert rows[(D2, 7)].member_name == "Darren Smith-Jones"
    assert len(rows) == 4
