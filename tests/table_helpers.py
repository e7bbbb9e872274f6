"""Building, reading and inspecting day-partitioned tables in tests, the same on local and S3."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from adventureworks_orchestration.storage.layout import LEASE_KEY, parse_data_key
from adventureworks_orchestration.storage.object_store import LocalObjectStore
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03"]


def rows_for(spark: SparkSession, days: Sequence[str], per_day: int = 3, tag: str = "v1"):
    data = [
        (i, f"{tag}-{day}-{i}", dt.date.fromisoformat(day)) for day in days for i in range(per_day)
    ]
    return spark.createDataFrame(data, "id INT, label STRING, day DATE")


def spread_over_partitions(
    spark: SparkSession, days: Sequence[str], per_day: int, partitions: int
) -> tuple[DataFrame, dict[str, int]]:
    """Rows of every day in every input partition (day i gets ``per_day`` rows, every 7th day
    none), as a shuffle or a scan of many files hands them to a write; and the exact counts."""
    first = dt.date.fromisoformat(days[0])
    expected = {day: 0 if i % 7 == 3 else per_day for i, day in enumerate(days)}
    kept = [i for i, day in enumerate(days) if expected[day]]
    offsets = spark.createDataFrame([(n, i) for n, i in enumerate(kept)], "n INT, offset INT")
    frame = (
        spark.range(0, per_day * len(kept), numPartitions=partitions)
        .select(F.col("id").cast("int").alias("id"), (F.col("id") % len(kept)).alias("n"))
        .join(F.broadcast(offsets), "n")
        .select(
            "id",
            F.concat(F.lit("row-"), F.col("id").cast("string")).alias("label"),
            F.date_add(F.lit(first), F.col("offset")).alias("day"),
        )
    )
    return frame, expected


def tags_per_day(table: PartitionedTable, days: Sequence[str] = DAYS) -> dict[str, tuple]:
    """Per day: (set of version tags, row count) as a fresh reader of the table sees them."""
    reader = PartitionedTable(table.spark, table.root, table.partition_column)
    result = {}
    for day in days:
        rows = reader.read([day]).collect()
        result[day] = ({row.label.split("-")[0] for row in rows}, len(rows))
    return result


def day_checksum(rows: DataFrame | Iterable[Row]) -> str:
    """Order-independent checksum of a day's rows (a DataFrame, or rows already collected)."""
    rows = rows.collect() if isinstance(rows, DataFrame) else rows
    lines = sorted("|".join(map(str, row)) for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def leftovers(table: PartitionedTable) -> list[str]:
    """Keys in the table's folder that the newest manifest does not account for."""
    manifest = table.manifest()
    live = {name.rsplit("/", 1)[0] for name in manifest.referenced_files()}
    found = []
    for item in table.store.list():
        key = parse_data_key(item.key, table.partition_column)
        if key is not None:
            if item.key.rsplit("/", 1)[0] not in live:
                found.append(item.key)
        elif item.key == LEASE_KEY or not item.key.startswith("_table/manifests/"):
            if item.key != LocalObjectStore.LOCK_FILE:
                found.append(item.key)
    return sorted(found)


def folders_on_disk(table: PartitionedTable) -> set[str]:
    """Every ``<column>=<day>/write=<id>`` folder that holds a file."""
    return {
        item.key.rsplit("/", 1)[0]
        for item in table.store.list()
        if parse_data_key(item.key, table.partition_column)
    }
