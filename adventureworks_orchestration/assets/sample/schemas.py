"""The lab's contracts, in one place: the landing tables' explicit schemas (CSV has no types;
nothing is ever inferred), keys and the rules every accepted row satisfies (see
``landing.validation``), and the schema of every transformed and report asset's output
(``OUTPUT_SCHEMAS``, checked by ``schema_matches_contract``). A source asset's output is typed by
its landing contract itself (``landing.validation.accepted``), so it has no such check."""

from pyspark.sql.types import (
    BooleanType,
    DateType,
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


def _field(name: str, kind: object, nullable: bool = True) -> StructField:
    return StructField(name, kind, nullable)  # type: ignore[arg-type]


def _source(table: str) -> StructType:
    """A source asset: the landing columns as typed, then the day (from the file's name)."""
    day = StructField(PARTITION_COLUMNS[table], DateType(), False)
    return StructType([*LANDING_SCHEMAS[table].fields, day])


# Every transformed and report asset's output, by its key below ``labs/``. Columns are compared
# by name and type (``checks.quality.schema_differences``): order and nullability are not part of
# the contract.
OUTPUT_SCHEMAS: dict[str, StructType] = {
    "transformed/members": StructType(
        [
            *_source("members").fields,
            _field("is_guest", BooleanType()),
            _field("member_name", StringType()),
        ]
    ),
    "transformed/facilities": _source("facilities"),
    "transformed/bookings": StructType(
        [
            _field("booking_date", DateType(), False),
            _field("facid", IntegerType(), False),
            _field("bookid", LongType(), False),
            _field("memid", IntegerType(), False),
            _field("starttime", TimestampType(), False),
            _field("slots", IntegerType(), False),
            _field("facility_name", StringType()),  # null: facility not in the day's snapshot
            _field("is_guest", BooleanType()),
            _field("cost", MONEY),
        ]
    ),
    "reports/revenue_per_facility": StructType(
        [
            _field("booking_date", DateType(), False),
            _field("facid", IntegerType(), False),
            _field("facility_name", StringType()),
            _field("bookings", LongType(), False),
            _field("slots", LongType()),
            _field("revenue", MONEY),
            _field("guest_revenue", MONEY),
        ]
    ),
    "reports/bookings_per_member": StructType(
        [
            _field("booking_date", DateType(), False),
            _field("memid", IntegerType(), False),
            _field("bookings", LongType(), False),
            _field("slots", LongType()),
            _field("spend", MONEY),
            _field("member_name", StringType()),
        ]
    ),
}
