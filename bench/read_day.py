"""Read one day of an asset stored as CSV and as Delta, in one Spark session: how long each takes
and how many files each opens. Run by ``bench/backfill.py --format delta`` on the tables its two
single-run backfills wrote; the reads alternate (CSV, Delta, CSV, ...) after one warm-up each, so
both see the same JVM and page cache.

Run: ``uv run python bench/read_day.py --csv-root DIR --delta-root DIR --column C --day D``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.settings import settings_from_env
from adventureworks_orchestration.storage.delta_table import DeltaDayTable
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable


def read_once(table: PartitionedTable | DeltaDayTable, day: str) -> tuple[float, int, int]:
    """Seconds to open the table and read every column of the day; rows; files opened."""
    started = time.perf_counter()
    frame = table.read([day])
    rows, _ = frame.select(F.count(F.lit(1)), F.sum(F.hash(*frame.columns))).first()
    return time.perf_counter() - started, rows, len(frame.inputFiles())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv-root", required=True)
    parser.add_argument("--delta-root", required=True)
    parser.add_argument("--column", required=True)
    parser.add_argument("--day", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", required=True, help="where to write the results")
    args = parser.parse_args()
    builder = SparkSession.builder
    for key, value in spark_config(settings_from_env(), delta=True).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    def csv() -> PartitionedTable:
        return PartitionedTable(spark, Path(args.csv_root).as_uri(), args.column)

    def delta() -> DeltaDayTable:
        return DeltaDayTable(spark, Path(args.delta_root).as_uri(), args.column)

    results: dict[str, dict[str, object]] = {}
    for name, table in (("csv", csv), ("delta", delta)):
        _, rows, files = read_once(table(), args.day)  # warm-up
        results[name] = {"rows": rows, "files_opened": files, "seconds": []}
    for _ in range(args.repeat):
        for name, table in (("csv", csv), ("delta", delta)):
            seconds, _, _ = read_once(table(), args.day)
            results[name]["seconds"].append(round(seconds, 4))  # type: ignore[union-attr]
    for result in results.values():
        result["median_seconds"] = statistics.median(result["seconds"])  # type: ignore[arg-type]
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
