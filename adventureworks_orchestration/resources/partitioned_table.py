"""A table stored as one folder per day: ``<root>/<column>=<YYYY-MM-DD>/part-*.csv``.

Writes of a range of days run as ONE Spark job into a hidden staging folder (``_staging``: Spark
skips names starting with ``_`` when it discovers partitions), then each day is published by
swapping its folder. So a failed write never leaves a half-written day visible, days outside the
range are never touched, and writing a day again replaces it (idempotent). The CSV files carry no
types, so the schema is kept beside the data in ``_schema.json`` and reads never infer.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from .hadoop_fs import HadoopFileSystem

SCHEMA_FILE = "_schema.json"
STAGING_DIR = "_staging"
CSV_OPTIONS = {"header": "true", "escape": '"', "encoding": "UTF-8"}


class PartitionedTableError(RuntimeError):
    """A read or write that cannot be done; the message names the table path and the days."""


@dataclass(frozen=True)
class WriteResult:
    root: str
    partition_column: str
    rows_per_day: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_day.values())

    def day_path(self, day: str) -> str:
        return f"{self.root}/{self.partition_column}={day}"


class PartitionedTable:
    """One stored asset: where it lives, its partition column, and how to read and write days."""

    def __init__(self, spark: SparkSession, root: str, partition_column: str) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.partition_column = partition_column
        self._fs = HadoopFileSystem(spark, self.root)

    def day_path(self, day: str) -> str:
        return f"{self.root}/{self.partition_column}={day}"

    def stored_days(self) -> list[str]:
        """Days that have a published folder, from ONE listing of the table root."""
        prefix = f"{self.partition_column}="
        return sorted(
            status.name[len(prefix) :]
            for status in self._fs.list(self.root)
            if status.is_dir and status.name.startswith(prefix)
        )

    def write(self, df: DataFrame, days: Sequence[str]) -> WriteResult:
        """Replace exactly ``days`` with the rows of ``df`` (which must all fall in those days)."""
        if not days:
            raise PartitionedTableError(f"no days given for the write to {self.root}")
        if self.partition_column not in df.columns:
            raise PartitionedTableError(
                f"the output for {self.root} has no column {self.partition_column!r} to partition "
                f"by; its columns are {df.columns}"
            )
        started = time.monotonic()
        days = sorted(set(days))
        data_columns = [c for c in df.columns if c != self.partition_column]
        day_value = F.date_format(F.col(self.partition_column), "yyyy-MM-dd")
        observation = Observation(f"rows_per_day_{uuid.uuid4().hex}")
        observed = df.observe(observation, *_day_counters(day_value, days))
        staging = f"{self.root}/{STAGING_DIR}/{uuid.uuid4().hex}"
        try:
            (
                observed.select(*data_columns, day_value.alias(self.partition_column))
                .repartition(self.partition_column)
                .write.partitionBy(self.partition_column)
                .options(**CSV_OPTIONS)
                .mode("errorifexists")
                .csv(staging)
            )
            counts = observation.get
            rows_per_day = {day: int(counts[f"day_{i}"]) for i, day in enumerate(days)}
            stray = int(counts["all_rows"]) - sum(rows_per_day.values())
            if stray:
                raise PartitionedTableError(
                    f"{stray} row(s) for {self.root} have a {self.partition_column} outside the "
                    f"days being written ({days[0]}..{days[-1]}) or none at all; nothing was "
                    "published"
                )
            self._write_schema(df.schema)
            self._publish(staging, days)
        finally:
            self._fs.delete(staging)
            self._fs.delete_if_empty(f"{self.root}/{STAGING_DIR}")
        return WriteResult(
            root=self.root,
            partition_column=self.partition_column,
            rows_per_day=rows_per_day,
            seconds=time.monotonic() - started,
        )

    def read(self, days: Sequence[str] | None = None) -> DataFrame:
        """The rows of ``days`` (all stored days when None), reading only those days' folders."""
        stored = self.stored_days()
        if days is None:
            wanted = stored
            if not wanted:
                raise PartitionedTableError(f"{self.root} has no stored days; materialize it first")
        else:
            wanted = sorted(set(days))
            missing = sorted(set(wanted) - set(stored))
            if missing:
                raise PartitionedTableError(
                    f"{self.root} has no stored data for {_describe_days(missing)}; "
                    "materialize those partitions first"
                )
        return (
            self.spark.read.schema(self.schema())
            .options(**CSV_OPTIONS)
            .option("basePath", self.root)
            .csv([self.day_path(day) for day in wanted])
        )

    def schema(self) -> StructType:
        schema_path = f"{self.root}/{SCHEMA_FILE}"
        if not self._fs.exists(schema_path):
            raise PartitionedTableError(f"{schema_path} is missing; materialize {self.root} first")
        return StructType.fromJson(json.loads(self._fs.read_text(schema_path)))

    def _write_schema(self, schema: StructType) -> None:
        self._fs.write_text(f"{self.root}/{SCHEMA_FILE}", schema.json())

    def _publish(self, staging: str, days: Sequence[str]) -> None:
        """Swap each day's folder for its staged one; a day with no rows becomes an empty folder."""
        retired = f"{self.root}/{STAGING_DIR}/retired-{uuid.uuid4().hex}"
        self._fs.mkdirs(retired)
        try:
            for day in days:
                staged = f"{staging}/{self.partition_column}={day}"
                target = self.day_path(day)
                if not self._fs.exists(staged):
                    self._fs.mkdirs(staged)
                if self._fs.exists(target):
                    self._fs.rename(target, f"{retired}/{self.partition_column}={day}")
                self._fs.rename(staged, target)
        finally:
            self._fs.delete(retired)


def _day_counters(day_value: Column, days: Sequence[str]) -> list[Column]:
    counters = [F.count(F.lit(1)).alias("all_rows")]
    counters += [
        F.count_if(day_value == F.lit(day)).alias(f"day_{i}") for i, day in enumerate(days)
    ]
    return counters


def _describe_days(days: Sequence[str]) -> str:
    if len(days) <= 5:
        return ", ".join(days)
    return f"{len(days)} days ({days[0]} .. {days[-1]})"
