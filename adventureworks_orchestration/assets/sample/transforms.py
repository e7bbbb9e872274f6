"""The lab's transformations: plain DataFrame -> DataFrame functions, no reads, no writes.

Every function works on any number of days at once (each row carries its day), which is what
lets a backfill of a range run as one Spark job.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .schemas import MONEY

GUEST_MEMBER_ID = 0


def clean_members(members: DataFrame) -> DataFrame:
    """One row per member per snapshot day, names trimmed, a readable full name added."""
    return (
        members.dropDuplicates(["snapshot_date", "memid"])
        .withColumn("surname", F.trim("surname"))
        .withColumn("firstname", F.trim("firstname"))
        .withColumn("is_guest", F.col("memid") == GUEST_MEMBER_ID)
        .withColumn(
            "member_name",
            F.when(F.col("is_guest"), F.lit("GUEST")).otherwise(
                F.concat_ws(" ", "firstname", "surname")
            ),
        )
    )


def clean_facilities(facilities: DataFrame) -> DataFrame:
    """One row per facility per snapshot day, names trimmed."""
    return facilities.dropDuplicates(["snapshot_date", "facid"]).withColumn("name", F.trim("name"))


def enrich_bookings(bookings: DataFrame, facilities: DataFrame) -> DataFrame:
    """De-duplicated bookings with the facility and the cost at the member or guest rate.

    The facility comes from the same day's snapshot. A booking whose facility is not in that
    snapshot keeps its row, with a null facility name and cost, rather than being dropped.
    """
    rates = facilities.select(
        F.col("snapshot_date").alias("booking_date"),
        "facid",
        F.col("name").alias("facility_name"),
        "membercost",
        "guestcost",
    )
    is_guest = F.col("memid") == GUEST_MEMBER_ID
    return (
        bookings.dropDuplicates(["booking_date", "bookid"])
        .join(rates, on=["booking_date", "facid"], how="left")
        .withColumn("is_guest", is_guest)
        .withColumn(
            "cost",
            (
                F.col("slots") * F.when(is_guest, F.col("guestcost")).otherwise(F.col("membercost"))
            ).cast(MONEY),
        )
        .drop("membercost", "guestcost")
    )


def revenue_per_facility(bookings: DataFrame) -> DataFrame:
    """Bookings, slots and revenue per facility per day."""
    return bookings.groupBy("booking_date", "facid", "facility_name").agg(
        F.count(F.lit(1)).alias("bookings"),
        F.sum("slots").alias("slots"),
        F.sum("cost").cast(MONEY).alias("revenue"),
        F.sum(F.when(F.col("is_guest"), F.col("cost"))).cast(MONEY).alias("guest_revenue"),
    )


def bookings_per_member(bookings: DataFrame, members: DataFrame) -> DataFrame:
    """Bookings, slots and spend per member per day, named from that day's member snapshot."""
    names = members.select(F.col("snapshot_date").alias("booking_date"), "memid", "member_name")
    return (
        bookings.groupBy("booking_date", "memid")
        .agg(
            F.count(F.lit(1)).alias("bookings"),
            F.sum("slots").alias("slots"),
            F.sum("cost").cast(MONEY).alias("spend"),
        )
        .join(names, on=["booking_date", "memid"], how="left")
    )
