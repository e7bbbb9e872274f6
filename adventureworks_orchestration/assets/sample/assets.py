"""The bookings lab: labs/source/* -> labs/transformed/* -> labs/reports/*, one day per partition.

Built by a function of the partitions definition (which comes from settings) so that importing
this module reads no environment. Every asset runs a whole range of days in one step
(``BackfillPolicy.single_run()``): the transformations are written for many days at once.
"""

import warnings
from collections.abc import Iterator

import dagster as dg
from dagster_pyspark import PySparkResource
from pyspark.sql import DataFrame, SparkSession

from ...checks.quality import (
    MIN_TRAILING_DAYS,
    TRAILING_DAYS,
    bookings_failures,
    quarantine_share_failures,
    schema_differences,
)
from ...checks.results import (
    blocking_spec,
    day_check_result,
    schema_check_result,
    warning_spec,
)
from ...checks.row_count import row_count_result
from ...constants import (
    ACCEPTED_ROWS_METADATA_KEY,
    ASSET_GROUP_LABS,
    ASSET_PREFIX_REPORTS,
    ASSET_PREFIX_SOURCE,
    ASSET_PREFIX_TRANSFORMED,
    DUPLICATE_ROWS_METADATA_KEY,
    FOREIGN_KEYS_CHECK_NAME,
    IO_MANAGER_KEY,
    LANDING_ROWS_METADATA_KEY,
    NON_NEGATIVE_CHECK_NAME,
    OWNERS,
    PRIMARY_KEY_CHECK_NAME,
    QUARANTINE_PATH_METADATA_KEY,
    QUARANTINE_SHARE_CHECK_NAME,
    QUARANTINED_ROWS_METADATA_KEY,
    ROW_COUNT_CHECK_NAME,
    SCHEMA_CHECK_NAME,
    UNCHECKED_REFERENCES_METADATA_KEY,
    WRITE_POOL_PREFIX,
)
from ...landing.paths import LANDING_TABLES, parse_landing_path
from ...landing.preflight import describe_problems
from ...landing.validation import DayCounts
from ...resources.landing_zone import LandingZone, MissingLandingFilesError
from ...resources.spark_driver import driver_stop_fails_step
from ...resources.table_io_manager import PARTITION_COLUMN_METADATA_KEY
from . import transforms
from .ingest import IngestedTable, ingested
from .schemas import LANDING_SCHEMAS, OUTPUT_SCHEMAS, PARTITION_COLUMNS

# Transient storage errors (a throttled or briefly unreachable store) that outlast the S3A
# client's own retries get the whole step again, after 2 s and 4 s.
SPARK_RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)


def _key(prefix: str, name: str) -> dg.AssetKey:
    return dg.AssetKey([ASSET_GROUP_LABS, prefix, name])


def _write_pool(name: str) -> str:
    """The concurrency pool of the step that writes ``name``: runs writing it queue behind each
    other (one slot), runs writing other assets do not wait."""
    return f"{WRITE_POOL_PREFIX}:{ASSET_GROUP_LABS}/{name}"


def _contract_spec(key: dg.AssetKey) -> dg.AssetCheckSpec:
    return blocking_spec(
        SCHEMA_CHECK_NAME,
        key,
        "The output's columns and their types are the contract's (OUTPUT_SCHEMAS in "
        "assets/sample/schemas.py): none missing, none extra, none of another type.",
    )


def _contract_result(key: dg.AssetKey, frame: DataFrame) -> dg.AssetCheckResult:
    """The output's schema against its contract: no Spark job, the plan's schema only."""
    contract = OUTPUT_SCHEMAS["/".join(key.path[1:])]
    return schema_check_result(SCHEMA_CHECK_NAME, key, schema_differences(frame.schema, contract))


def _published(key: dg.AssetKey, frame: DataFrame) -> Iterator:
    """The output, then its contract check (blocking: a drifted schema stops what is downstream)."""
    yield dg.Output(frame)
    yield _contract_result(key, frame)


def _partitioned_by(column: str) -> dict[str, str]:
    return {PARTITION_COLUMN_METADATA_KEY: column}


def _count_metadata(counts: DayCounts) -> dict[str, int]:
    return {
        LANDING_ROWS_METADATA_KEY: counts.landing,
        ACCEPTED_ROWS_METADATA_KEY: counts.accepted,
        QUARANTINED_ROWS_METADATA_KEY: counts.quarantined,
        DUPLICATE_ROWS_METADATA_KEY: counts.duplicates,
    }


def _day_metadata(result: IngestedTable, day: str) -> dict[str, object]:
    metadata: dict[str, object] = {
        **_count_metadata(result.counts[day]),
        QUARANTINE_PATH_METADATA_KEY: result.quarantine.day_path(day),
    }
    unchecked = sorted(t for t, days in result.unchecked.items() if day in days)
    if unchecked:
        metadata[UNCHECKED_REFERENCES_METADATA_KEY] = ", ".join(unchecked)
    return metadata


def _said(result: IngestedTable) -> str:
    totals = result.totals
    return (
        f"{totals.landing} rows: {totals.accepted} accepted, {totals.quarantined} quarantined, "
        f"{totals.duplicates} exact duplicates dropped"
    )


def _ingested_outputs(
    context: dg.AssetExecutionContext,
    spark: SparkSession,
    landing: LandingZone,
    files: dict,
    tables: list[str],
) -> Iterator:
    """The source step's outputs, per-day metadata and checks, from one validation of its files."""
    days = context.partition_keys
    with ingested(spark, landing, files, days, context.run.run_id, context.log) as results:
        for table in tables:
            result = results[table]
            context.log.info(f"{table}: {len(files[table])} landing file(s), {_said(result)}")
            for item in files[table]:  # provenance and what became of the day's rows
                day = parse_landing_path(item.key).day
                context.add_asset_metadata(
                    {**item.provenance(), **_day_metadata(result, day)},
                    asset_key=_key(ASSET_PREFIX_SOURCE, table),
                    partition_key=day,
                )
            yield dg.Output(
                result.accepted,
                output_name=table,
                metadata={
                    "landing_files": len(files[table]),
                    "landing_bytes": sum(item.size for item in files[table]),
                    **_count_metadata(result.totals),
                    QUARANTINE_PATH_METADATA_KEY: result.quarantine.root,
                },
            )
        selected = context.selected_asset_check_keys
        for table in tables:  # after every output: a failing check blocks, not unpublishes
            key = _key(ASSET_PREFIX_SOURCE, table)
            counts = results[table].counts
            if dg.AssetCheckKey(key, QUARANTINE_SHARE_CHECK_NAME) in selected:
                failing = quarantine_share_failures(counts, landing.max_quarantine_share)
                yield day_check_result(QUARANTINE_SHARE_CHECK_NAME, key, days, failing)
            if dg.AssetCheckKey(key, ROW_COUNT_CHECK_NAME) in selected:
                accepted = {day: count.accepted for day, count in counts.items()}
                yield row_count_result(
                    context.instance, key, days, accepted, landing.row_count_band
                )


def build_sample_assets(
    partitions_def: dg.PartitionsDefinition, table_format: str = "csv"
) -> list[dg.AssetsDefinition]:
    """All assets of the lab, partitioned by ``partitions_def``; ``table_format`` (the IO
    manager's, from settings) only names the storage kind shown in the UI."""
    with warnings.catch_warnings():
        # single-run backfills are the point of this platform; the beta notice is noise here
        warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
        return _build(partitions_def, {"spark", table_format})


def _build(partitions_def: dg.PartitionsDefinition, kinds: set[str]) -> list[dg.AssetsDefinition]:
    common = {
        "partitions_def": partitions_def,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "group_name": ASSET_GROUP_LABS,
        "retry_policy": SPARK_RETRY_POLICY,
    }
    asset_common = {**common, "io_manager_key": IO_MANAGER_KEY, "kinds": kinds, "owners": OWNERS}

    @dg.multi_asset(
        name="bookings_source_files",
        outs={
            table: dg.AssetOut(
                key=_key(ASSET_PREFIX_SOURCE, table),
                io_manager_key=IO_MANAGER_KEY,
                is_required=False,
                description=f"The {table} landing files' rows that pass validation, typed by "
                "their schema (rejected rows: awo quarantine).",
                metadata=_partitioned_by(PARTITION_COLUMNS[table]),
                kinds=kinds,
                owners=OWNERS,
            )
            for table in LANDING_TABLES
        },
        check_specs=[
            *(
                blocking_spec(
                    QUARANTINE_SHARE_CHECK_NAME,
                    _key(ASSET_PREFIX_SOURCE, table),
                    "No day has more of its landing rows quarantined than the allowed share "
                    "(AWO_QUARANTINE_MAX_SHARE).",
                )
                for table in LANDING_TABLES
            ),
            warning_spec(
                ROW_COUNT_CHECK_NAME,
                _key(ASSET_PREFIX_SOURCE, "bookings"),
                "Warns (never blocks) when a day's accepted rows are outside the mean of the "
                f"{TRAILING_DAYS} days before it +- AWO_ROW_COUNT_BAND; a day with fewer than "
                f"{MIN_TRAILING_DAYS} of those days stored or in the run is not judged.",
            ),
        ],
        can_subset=True,
        pool=_write_pool(ASSET_PREFIX_SOURCE),
        **common,
    )
    def bookings_source_files(
        context: dg.AssetExecutionContext, spark_s3_rsc: PySparkResource, landing: LandingZone
    ):
        """Reads each selected table's landing files for the run's days in one Spark scan and
        validates every row: accepted rows are published, rejected ones quarantined with a reason
        (``awo quarantine``), exact duplicates dropped; each day's counts are in its metadata.

        All or nothing: every selected file is checked, and every table validated and its
        quarantine written, before the first table is handed over for publishing.
        """
        spark = spark_s3_rsc.spark_session
        days = context.partition_keys
        tables = sorted(key.path[-1] for key in context.selected_asset_keys)
        try:
            files = {table: landing.find_files(table, days) for table in tables}
        except MissingLandingFilesError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        # an empty file or a wrong header, in ANY table, fails here naming every bad file
        problems = landing.check_files(
            files, {table: LANDING_SCHEMAS[table].fieldNames() for table in tables}
        )
        if problems:
            raise dg.Failure(description=describe_problems(problems), allow_retries=False)
        step = "labs/source (" + ", ".join(tables) + ")"
        with driver_stop_fails_step(spark_s3_rsc, step, days):
            yield from _ingested_outputs(context, spark, landing, files, tables)

    members_key = _key(ASSET_PREFIX_TRANSFORMED, "members")

    @dg.asset(
        key=members_key,
        check_specs=[_contract_spec(members_key)],
        pool=_write_pool(f"{ASSET_PREFIX_TRANSFORMED}/members"),
        ins={"members": dg.AssetIn(key=_key(ASSET_PREFIX_SOURCE, "members"))},
        metadata=_partitioned_by("snapshot_date"),
        **asset_common,
    )
    def transformed_members(members: DataFrame) -> Iterator:
        """Members per daily snapshot: trimmed, with a display name."""
        yield from _published(members_key, transforms.clean_members(members))

    facilities_key = _key(ASSET_PREFIX_TRANSFORMED, "facilities")

    @dg.asset(
        key=facilities_key,
        check_specs=[_contract_spec(facilities_key)],
        pool=_write_pool(f"{ASSET_PREFIX_TRANSFORMED}/facilities"),
        ins={"facilities": dg.AssetIn(key=_key(ASSET_PREFIX_SOURCE, "facilities"))},
        metadata=_partitioned_by("snapshot_date"),
        **asset_common,
    )
    def transformed_facilities(facilities: DataFrame) -> Iterator:
        """Facilities per daily snapshot: trimmed."""
        yield from _published(facilities_key, transforms.clean_facilities(facilities))

    bookings_key = _key(ASSET_PREFIX_TRANSFORMED, "bookings")

    @dg.asset(
        key=bookings_key,
        check_specs=[
            _contract_spec(bookings_key),
            blocking_spec(PRIMARY_KEY_CHECK_NAME, bookings_key, "No bookid twice in a day."),
            blocking_spec(
                FOREIGN_KEYS_CHECK_NAME,
                bookings_key,
                "Every booking's facility is in that day's facilities snapshot (it has a cost).",
            ),
            blocking_spec(NON_NEGATIVE_CHECK_NAME, bookings_key, "No booking costs less than 0."),
        ],
        pool=_write_pool(f"{ASSET_PREFIX_TRANSFORMED}/bookings"),
        ins={
            "bookings": dg.AssetIn(key=_key(ASSET_PREFIX_SOURCE, "bookings")),
            "facilities": dg.AssetIn(key=_key(ASSET_PREFIX_TRANSFORMED, "facilities")),
        },
        metadata=_partitioned_by("booking_date"),
        **asset_common,
    )
    def transformed_bookings(
        context: dg.AssetExecutionContext,
        spark_s3_rsc: PySparkResource,
        bookings: DataFrame,
        facilities: DataFrame,
    ):
        """Bookings priced: slots x member or guest rate of that day; its checks block the
        reports when a day has a repeated bookid, an unpriced facility or a negative cost."""
        priced = transforms.enrich_bookings(bookings, facilities)
        yield from _published(bookings_key, priced)
        step = f"{bookings_key.to_user_string()} checks"  # their own Spark job, after the publish
        with driver_stop_fails_step(spark_s3_rsc, step, context.partition_keys):
            failing = bookings_failures(priced, "booking_date", context.partition_keys)
        for name, days in failing.items():
            yield day_check_result(name, bookings_key, context.partition_keys, days)

    revenue_key = _key(ASSET_PREFIX_REPORTS, "revenue_per_facility")

    @dg.asset(
        key=revenue_key,
        check_specs=[_contract_spec(revenue_key)],
        pool=_write_pool(f"{ASSET_PREFIX_REPORTS}/revenue_per_facility"),
        ins={"bookings": dg.AssetIn(key=_key(ASSET_PREFIX_TRANSFORMED, "bookings"))},
        metadata=_partitioned_by("booking_date"),
        **asset_common,
    )
    def revenue_per_facility(bookings: DataFrame) -> Iterator:
        """Bookings, slots and revenue per facility per day."""
        yield from _published(revenue_key, transforms.revenue_per_facility(bookings))

    per_member_key = _key(ASSET_PREFIX_REPORTS, "bookings_per_member")

    @dg.asset(
        key=per_member_key,
        check_specs=[_contract_spec(per_member_key)],
        pool=_write_pool(f"{ASSET_PREFIX_REPORTS}/bookings_per_member"),
        ins={
            "bookings": dg.AssetIn(key=_key(ASSET_PREFIX_TRANSFORMED, "bookings")),
            "members": dg.AssetIn(key=_key(ASSET_PREFIX_TRANSFORMED, "members")),
        },
        metadata=_partitioned_by("booking_date"),
        **asset_common,
    )
    def bookings_per_member(bookings: DataFrame, members: DataFrame) -> Iterator:
        """Bookings, slots and spend per member per day."""
        yield from _published(per_member_key, transforms.bookings_per_member(bookings, members))

    return [
        bookings_source_files,
        transformed_members,
        transformed_facilities,
        transformed_bookings,
        revenue_per_facility,
        bookings_per_member,
    ]
