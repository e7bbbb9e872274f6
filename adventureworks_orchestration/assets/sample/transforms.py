"""The lab's transformations: plain DataFrame -> DataFrame functions, no reads, no writes.

Every function works on any number of days at once (each row carries its day), which is what
lets a backfill of a range run as one Spark job. Their inputs are validated source rows
(``landing.validation``): keys unique per day (bookids across days), references resolved in the
same day's snapshots; so nothing here de-duplicates, and nothing picks an arbitrary row.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .schemas import GUEST_MEMBER_ID, MONEY


def clean_members(members: DataFrame) -> DataFrame:
    """Members per snapshot day, names trimmed, a readable full name added."""
    return (
        members.withColumn("surname", F.trim("surname"))
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
    """Facilities per snapshot day, names trimmed."""
    return facilities.withColumn("name", F.trim("name"))


def enrich_bookings(bookings: DataFrame, facilities: DataFrame) -> DataFrame:
    """Bookings with the facility and the cost at the member or guest rate of that day.

    The facility comes from the same day's snapshot. A booking whose facility is not in it (the
    snapshot was replaced after the bookings were validated) keeps its row with a null facility
    name and cost rather than vanishing: the ``foreign_keys_resolve`` check then stops the day.
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
        bookings.join(rates, on=["booking_date", "facid"], how="left")
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
