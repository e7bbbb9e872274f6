"""What publishing costs per day: a table write of a range vs a bare Spark write of the same rows.

    uv run python bench/publish.py [--days 1,90] [--rows-per-day 200] [--repeats 5]

In ONE process and ONE Spark session, for a local folder and a SeaweedFS server on 127.0.0.1,
and for each number of days, it alternates (A B A B ...) two writes of the same cached rows:

- bare:  ``df.repartition(day).write.partitionBy(day).mode("overwrite").csv(folder)``, the
  cheapest way Spark writes one folder per day (no safety, no counts);
- table: ``PartitionedTable.write(df, days)``, replacing days that are already stored (the
  publish of a re-run, the common case), with everything the platform adds.

The overhead is median(table) - median(bare); per day is that divided by the days. The bare
write is the baseline measured in the same run, so machine drift cancels out. The script only
uses ``PartitionedTable(spark, root, column).write(df, days)``, which earlier versions of the
project had too, so the same file measures them (``--before``: import it from where it lived).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import make_workdir, step, write_results  # noqa: E402

ACCESS, SECRET = "bench-key", "bench-secret"


def _table_class():
    try:
        from adventureworks_orchestration.storage.partitioned_table import PartitionedTable
    except ImportError:  # the project before storage/ existed
        from adventureworks_orchestration.resources.partitioned_table import PartitionedTable
    return PartitionedTable


def _spark(endpoint: str):
    from pyspark.sql import SparkSession

    from adventureworks_orchestration.settings import S3Settings, Settings

    try:
        from adventureworks_orchestration.resources.spark_config import spark_config
    except ImportError:  # the project before the Spark properties had a module of their own
        from adventureworks_orchestration.resources.spark import spark_config

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    store = S3Settings(endpoint=endpoint, access_key_id=ACCESS, secret_access_key=SECRET)
    settings = Settings(storage="s3", s3=store, spark_shuffle_partitions=2)
    builder = SparkSession.builder
    for key, value in spark_config(settings).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _rows(spark, days: int, per_day: int):
    from pyspark.sql import functions as F

    first = dt.date(2024, 1, 1)
    return (
        spark.range(days * per_day)
        .select(
            F.col("id"),
            F.concat(F.lit("row-"), F.col("id").cast("string")).alias("label"),
            F.date_add(F.lit(first), (F.col("id") / per_day).cast("int")).alias("day"),
        )
        .cache()
    )


def measure(spark, root: str, days: int, per_day: int, repeats: int) -> dict[str, float]:
    PartitionedTable = _table_class()
    df = _rows(spark, days, per_day)
    df.count()
    day_keys = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(days)]
    table = PartitionedTable(spark, f"{root}/table-{days}", "day")
    table.write(df, day_keys)  # so that every measured write replaces stored days
    bare, safe = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        df.repartition("day").write.partitionBy("day").mode("overwrite").csv(f"{root}/bare-{days}")
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        PartitionedTable(spark, f"{root}/table-{days}", "day").write(df, day_keys)
        safe.append(time.perf_counter() - started)
    df.unpersist()
    overhead = statistics.median(safe) - statistics.median(bare)
    return {
        "bare_s": round(statistics.median(bare), 3),
        "table_s": round(statistics.median(safe), 3),
        "overhead_s": round(overhead, 3),
        "overhead_ms_per_day": round(1000 * overhead / days, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", default="1,90", help="comma-separated range lengths (1,90)")
    parser.add_argument("--rows-per-day", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--storages", default="local,s3")
    parser.add_argument("--workdir", help="an empty folder to work in (default: a temp folder)")
    args = parser.parse_args()

    from adventureworks_orchestration.devtools.s3_server import start_s3_server

    workdir, _ = make_workdir("publish", args.workdir)
    server = start_s3_server(workdir / "seaweedfs", ACCESS, SECRET)
    try:
        import boto3

        boto3.client(
            "s3", endpoint_url=server.endpoint, aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET, region_name="us-east-1",
        ).create_bucket(Bucket="bench")  # fmt: skip
        spark = _spark(server.endpoint)
        roots = {"local": (workdir / "local").as_uri(), "s3": "s3a://bench/tables"}
        results = {}
        for storage in args.storages.split(","):
            for days in [int(d) for d in args.days.split(",")]:
                step(f"{storage}, {days} day(s) x {args.rows_per_day} rows, {args.repeats} pairs")
                figures = measure(spark, roots[storage], days, args.rows_per_day, args.repeats)
                results[f"{storage}-{days}"] = figures
                step(f"  {figures}")
        print(f"\n{'storage':8} {'days':>5} {'bare s':>8} {'table s':>8} {'ms/day over bare':>17}")
        for key, figures in results.items():
            storage, days = key.split("-")
            print(
                f"{storage:8} {days:>5} {figures['bare_s']:8.2f} {figures['table_s']:8.2f} "
                f"{figures['overhead_ms_per_day']:17.1f}"
            )
        print(f"\nresults: {write_results('publish', results)}")
        spark.stop()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
