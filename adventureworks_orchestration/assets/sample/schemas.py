"""The landing tables' contracts: explicit schemas (CSV has no types; nothing is ever inferred),
keys, and the rules every accepted row satisfies (see ``landing.validation``)."""

from pyspark.sql.types import (
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from ...landing.validation import Contract, Reference

MONEY = DecimalType(12, 2)
GUEST_MEMBER_ID = 0

LANDING_SCHEMAS: dict[str, StructType] = {
    "bookings": StructType(
        [
            StructField("bookid", LongType(), False),
            StructField("facid", IntegerType(), False),
            StructField("memid", IntegerType(), False),
            StructField("starttime", TimestampType(), False),
            StructField("slots", IntegerType(), False),
        ]
    ),
    "facilities": StructType(
        [
            StructField("facid", IntegerType(), False),
            StructField("name", StringType(), False),
            StructField("membercost", MONEY, False),
            StructField("guestcost", MONEY, False),
            StructField("initialoutlay", MONEY, False),
            StructField("monthlymaintenance", MONEY, False),
        ]
    ),
    "members": StructType(
        [
            StructField("memid", IntegerType(), False),
            StructField("surname", StringType(), False),
            StructField("firstname", StringType(), False),
            StructField("address", StringType(), True),
            StructField("zipcode", IntegerType(), True),
            StructField("telephone", StringType(), True),
            StructField("recommendedby", IntegerType(), True),
            StructField("joindate", TimestampType(), False),
        ]
    ),
}

# Bookings are partitioned by the day they are for; members and facilities are daily snapshots.
PARTITION_COLUMNS: dict[str, str] = {
    "bookings": "booking_date",
    "facilities": "snapshot_date",
    "members": "snapshot_date",
}

LANDING_CONTRACTS: dict[str, Contract] = {
    # a booking is for the day of its file, names a facility and a member (or the guest) of that
    # day's snapshots, takes at least one half-hour slot, and its bookid is unique across days
    "bookings": Contract(
        table="bookings",
        schema=LANDING_SCHEMAS["bookings"],
        partition_column=PARTITION_COLUMNS["bookings"],
        key=("bookid",),
        key_across_days=True,
        on_day="starttime",
        minimums=(("slots", 1),),
        references=(
            Reference("facid", "facilities", "unknown_facility", "facility"),
            Reference("memid", "members", "unknown_member", "member", exempt=(GUEST_MEMBER_ID,)),
        ),
    ),
    # the snapshots: one row per facility / member per day
    "facilities": Contract(
        table="facilities",
        schema=LANDING_SCHEMAS["facilities"],
        partition_column=PARTITION_COLUMNS["facilities"],
        key=("facid",),
    ),
    "members": Contract(
        table="members",
        schema=LANDING_SCHEMAS["members"],
        partition_column=PARTITION_COLUMNS["members"],
        key=("memid",),
    ),
}
