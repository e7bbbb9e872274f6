"""Explicit schemas of the landing tables (CSV has no types; nothing is ever inferred)."""

from pyspark.sql.types import (
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

MONEY = DecimalType(12, 2)

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
