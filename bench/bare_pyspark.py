"""The labs graph as a bare PySpark script: one Spark session, no Dagster, the same work.

It is the yardstick ``bench/backfill.py`` measures the platform against, so it is the fastest
plain PySpark we know how to write for the same outputs (same rows per table and day, same
columns), not a transcription of what the platform does. Each choice, and why:

- **Explicit schemas, no inference** (``LANDING_SCHEMAS``): inference is a second pass over
  every landing file.
- **Each landing table read once, in one scan of all its days**, with the platform's CSV options,
  and **kept in memory** (``persist``): the source write and every downstream use start from
  those rows; nothing is read back from what this script wrote (the platform reads its inputs
  back from storage; here that would only add work).
- **One shuffle per written table, by day**: ``repartition(day)`` first, so that the exact
  duplicate drop (sources) and the reports' per-day aggregations, whose grouping keys start with
  the day, need no second exchange; and each day ends up in one task, i.e. **one file per day**
  (more files per tiny day cost more than they save).
- **Broadcast of the day's facility rates** to the bookings join (a few rows per day): no
  shuffle of the bookings for the join.
- **The enriched bookings kept in memory**: both reports aggregate them; computed once.
- **Dynamic partition overwrite**: replaces exactly the days written, what the platform's
  publish gives.
- **No Dagster loaded**: only the project's pure modules (schemas, transforms, paths, the Spark
  properties) are imported (``tests/test_bench_variants.py`` holds it to that); importing
  Dagster costs ~1.5 s.

What it leaves out is what the platform adds on top: Dagster itself, the landing-file check,
the row validation and its quarantine, the per-day row counts, the manifest commit, the
quality checks. (The generated data holds no bad rows but exact duplicates, which both drop.)

Run: ``uv run python bench/bare_pyspark.py --data-dir DIR --first DAY --last DAY``; the landing
files must be in ``DIR/landing`` and the tables go to ``DIR/warehouse``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from adventureworks_orchestration.assets.sample import transforms
from adventureworks_orchestration.assets.sample.schemas import LANDING_SCHEMAS, PARTITION_COLUMNS
from adventureworks_orchestration.landing.paths import LANDING_TABLES, landing_file_path
from adventureworks_orchestration.landing.reader import DAY_IN_FILE_NAME
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.settings import Settings, settings_from_env
from adventureworks_orchestration.storage.partitioned_table import CSV_OPTIONS

# Same partition columns as the assets' ``partition_column`` metadata in assets/sample/assets.py.
SNAPSHOT_COLUMN = "snapshot_date"
BOOKING_COLUMN = "booking_date"


def start_spark(settings: Settings) -> SparkSession:
    """A session with the platform's own Spark config, so only the orchestration differs.

    Dynamic partition overwrite is the bare-Spark way to replace just the days written, which is
    what the platform's staging-and-swap publish gives.
    """
    builder = SparkSession.builder
    config = {**spark_config(settings), "spark.sql.sources.partitionOverwriteMode": "dynamic"}
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_landing(spark: SparkSession, landing: Path, table: str, days: Sequence[str]) -> DataFrame:
    """All of ``table``'s landing files for ``days`` in one scan, as ``LandingZone.read`` does,
    exact duplicates dropped within one shuffle by day, kept in memory for every later use."""
    files = [(landing / landing_file_path(table, day)).as_uri() for day in days]
    day_in_name = F.regexp_extract(F.col("_metadata.file_path"), DAY_IN_FILE_NAME, 1)
    column = PARTITION_COLUMNS[table]
    return (
        spark.read.schema(LANDING_SCHEMAS[table])
        .option("header", "true")
        .option("enforceSchema", "false")
        .option("mode", "FAILFAST")
        .csv(files)
        .withColumn(column, F.to_date(day_in_name))
        .repartition(column)
        .dropDuplicates()  # exact duplicates, as the platform's validation: no second shuffle
        .persist(StorageLevel.MEMORY_AND_DISK)
    )


class Warehouse:
    """Writes tables under one folder, timing each write."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write_seconds: dict[str, float] = {}

    def write(self, asset: str, df: DataFrame, column: str) -> DataFrame:
        """Write ``df`` (already partitioned by ``column``) as one folder (one file) per day;
        return ``df`` for the tables computed from it."""
        started = time.perf_counter()
        df.write.partitionBy(column).options(**CSV_OPTIONS).mode("overwrite").csv(
            (self.root / asset).as_uri()
        )
        self.write_seconds[asset] = round(time.perf_counter() - started, 3)
        return df


def run_graph(spark: SparkSession, data_dir: Path, days: Sequence[str]) -> dict[str, float]:
    """Source -> transformed -> reports for ``days``, in the lab's order; seconds per write."""
    landing = data_dir / "landing"
    out = Warehouse(data_dir / "warehouse")
    source = {
        table: out.write(
            f"labs/source/{table}",
            read_landing(spark, landing, table, days),
            PARTITION_COLUMNS[table],
        )
        for table in LANDING_TABLES
    }
    # narrow transformations of rows already partitioned by day: no shuffle before the write
    members = out.write(
        "labs/transformed/members", transforms.clean_members(source["members"]), SNAPSHOT_COLUMN
    )
    facilities = out.write(
        "labs/transformed/facilities",
        transforms.clean_facilities(source["facilities"]),
        SNAPSHOT_COLUMN,
    )
    bookings = out.write(
        "labs/transformed/bookings",
        transforms.enrich_bookings(source["bookings"], F.broadcast(facilities)).persist(
            StorageLevel.MEMORY_AND_DISK
        ),
        BOOKING_COLUMN,
    )
    out.write(
        "labs/reports/revenue_per_facility",
        transforms.revenue_per_facility(bookings),
        BOOKING_COLUMN,
    )
    out.write(
        "labs/reports/bookings_per_member",
        transforms.bookings_per_member(bookings, F.broadcast(members)),
        BOOKING_COLUMN,
    )
    return out.write_seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, help="holds landing/; gets warehouse/")
    parser.add_argument("--first", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--last", required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--timings-json", help="write the in-script timings here")
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir).absolute()
    settings = settings_from_env().with_overrides(data_dir=data_dir)
    days = days_in_range(args.first, args.last)
    started = time.perf_counter()
    spark = start_spark(settings)
    spark_start_seconds = time.perf_counter() - started
    write_seconds = run_graph(spark, data_dir, days)
    graph_seconds = time.perf_counter() - started - spark_start_seconds
    spark.stop()
    timings = {
        "spark_start_seconds": round(spark_start_seconds, 3),
        "graph_seconds": round(graph_seconds, 3),
        "spark_session_seconds": round(time.perf_counter() - started, 3),
        "write_seconds": write_seconds,
    }
    print(json.dumps(timings, indent=2))
    if args.timings_json:
        Path(args.timings_json).write_text(json.dumps(timings, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
