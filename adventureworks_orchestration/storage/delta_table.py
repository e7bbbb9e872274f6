"""A day-partitioned Delta table: a range of days replaced in one commit, its history, restores.

Layout is Delta's own: ``<root>/_delta_log/`` holds the commits, ``<root>/<column>=<day>/`` the
Parquet files of each day. The interface is ``PartitionedTable``'s (``write``, ``read``,
``stored_days``), so the IO manager serves both formats with the same code.

Writing a range of days
-----------------------
1. On S3, take the table's write lease (``lease``; see *Writers*).
2. If there is no table yet, create it empty with the columns and the partition column
   (version 0): Delta checks ``replaceWhere`` only when it overwrites an existing table, and the
   first write of a new table would otherwise keep rows of any day.
3. ONE Spark job overwrites with ``replaceWhere`` covering exactly the days of the range. Delta
   fails the whole job, before its commit, if a row has a day outside them or none (reported with
   ``day_counts``' message); rows per day come from the same job (``DayCounter``). New columns are
   added (older days read them as null); a column whose type changes is refused. Rows are shuffled
   by day, so every written day is ONE file: what OPTIMIZE would make of the days a backfill
   touched, without a second pass or a second version.
4. Delta commits by writing ONE new file in ``_delta_log``: until then readers see the previous
   version, after it every day of the range is wholly new and every other day untouched. A
   failure or ``kill -9`` before the commit leaves Parquet files that no version names (never
   read; VACUUM deletes them).

Exactly once: ``txn_app_id`` (the IO manager passes the Dagster run's id) is recorded in
the commit (Delta's ``txnAppId``/``txnVersion``), and Delta skips a later write with the same app
id instead of committing it again; ``DeltaWriteResult.skipped`` then says so and names the version
that first wrote it.

Writers: on a local folder Delta's log store commits with a rename that fails if the version
exists, so concurrent writers from separate processes are safe: writes of different days both
commit, writes of the same days fail one with ``ConcurrentWriteError``. On S3 Delta's
``S3SingleDriverLogStore`` only serializes writers inside one JVM (multi-cluster writes need the
DynamoDB log store), so every commit on S3 (write, restore, VACUUM) holds the same write
lease as the CSV format: writers from separate processes, in Dagster or not, take turns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructField, StructType

from .day_counts import DayCounter
from .delta_errors import first_line, restore_error, translate
from .delta_history import TableVersion, operation_note, parse_note, table_version, write_note
from .errors import PartitionedTableError, StorageError
from .layout import day_folder, new_write_id
from .lease import WriteLease
from .object_store import ObjectStore, object_store_for_session, spark_location
from .partitioned_table import WriteResult

log = logging.getLogger(__name__)

# Commits after the write in which to look for it (the lease or the Dagster pool keeps other
# writers out; this only bounds the search in a pathological case).
HISTORY_SEARCH = 100
USER_METADATA_CONF = "spark.databricks.delta.commitInfo.userMetadata"


@dataclass(frozen=True)
class DeltaOptions:
    """VACUUM after each write (off by default: see ``vacuum``) and the S3 write lease."""

    vacuum_after_write: bool = False
    vacuum_retain_hours: float = 168.0
    lease_seconds: float = 120
    lease_wait_seconds: float = 600


@dataclass(frozen=True)
class DeltaWriteResult(WriteResult):
    files_added: int = 0
    files_removed: int = 0
    skipped: bool = False

    def delta_metadata(self) -> dict[str, object]:
        metadata: dict[str, object] = {
            "delta_version": self.version,
            "delta_files_added": self.files_added,
            "delta_files_removed": self.files_removed,
        }
        if self.skipped:
            metadata["delta_write_skipped"] = (
                f"already committed as version {self.version} by an earlier attempt of this run"
            )
        return metadata


@dataclass(frozen=True)
class RestoreResult:
    restored_version: int
    version: int
    files_removed: int
    files_restored: int


class DeltaDayTable:
    """One asset stored as Delta: its root, its partition (day) column, reads and writes of days."""

    def __init__(
        self,
        spark: SparkSession,
        root: str,
        partition_column: str,
        *,
        name: str | None = None,
        options: DeltaOptions | None = None,
        store: ObjectStore | None = None,
    ) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.spark_root = spark_location(self.root)  # what Spark is given (see spark_location)
        self.partition_column = partition_column
        self.name = name or self.root
        self.options = options or DeltaOptions()
        self._store = store

    @property
    def store(self) -> ObjectStore:
        if self._store is None:
            self._store = object_store_for_session(self.root, self.spark)
        return self._store

    @property
    def needs_lease(self) -> bool:
        """Whether Delta's log store cannot arbitrate between processes here (S3)."""
        return self.root.startswith(("s3a://", "s3://"))

    def exists(self) -> bool:
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(self.spark, self.spark_root)

    def _delta(self):  # noqa: ANN202 - delta.tables.DeltaTable, imported lazily
        from delta.tables import DeltaTable

        try:
            return DeltaTable.forPath(self.spark, self.spark_root)
        except Exception as exc:
            raise self._translated(exc, []) from None

    # ---------------------------------------------------------------------------------- write

    def write(
        self,
        df: DataFrame,
        days: Sequence[str],
        *,
        run_id: str | None = None,
        txn_app_id: str | None = None,
    ) -> DeltaWriteResult:
        """Replace exactly ``days`` with the rows of ``df`` (which must all fall in those days) in
        one commit; with ``txn_app_id``, a write this table already committed is skipped."""
        if not days:
            raise PartitionedTableError(f"no days given for the write to {self.name}")
        if self.partition_column not in df.columns:
            raise PartitionedTableError(
                f"the output for {self.name} has no column {self.partition_column!r} to "
                f"partition by; its columns are {df.columns}"
            )
        started = time.monotonic()
        days = sorted(set(days))
        write_id = new_write_id()
        with self._exclusive(write_id, run_id):
            self._create_if_missing(df.schema)
            counter = DayCounter(days)
            writer = (
                counter.grouped_by_day(df, self.partition_column)  # a file per day, as for CSV
                .write.format("delta")
                .mode("overwrite")
                .partitionBy(self.partition_column)
                .option("replaceWhere", _days_predicate(self.partition_column, days))
                .option("mergeSchema", "true")
                .option("userMetadata", write_note(write_id, run_id, txn_app_id, days))
            )
            if txn_app_id:
                writer = writer.option("txnAppId", txn_app_id).option("txnVersion", "0")
            try:
                writer.save(self.spark_root)
            except Exception as exc:
                raise self._translated(exc, days) from None
            commit = self._find_commit("write_id", write_id)
            if commit is None:
                return self._skipped(days, txn_app_id, write_id, started)
            rows_per_day = counter.rows_per_day(self.name, self.partition_column)
            if self.options.vacuum_after_write:
                self._vacuum(self.options.vacuum_retain_hours)
        metrics = commit["metrics"]
        return DeltaWriteResult(
            root=self.root,
            partition_column=self.partition_column,
            rows_per_day=rows_per_day,
            seconds=time.monotonic() - started,
            version=commit["version"],
            write_id=write_id,
            files_added=int(metrics.get("numFiles", 0)),
            files_removed=int(metrics.get("numRemovedFiles", 0)),
        )

    def _create_if_missing(self, schema: StructType) -> None:
        """Version 0: the table with its columns (all nullable: the write decides) and no rows."""
        if self.exists():
            return
        nullable = StructType(
            [StructField(f.name, f.dataType, True, f.metadata) for f in schema.fields]
        )
        try:
            (
                self.spark.createDataFrame([], nullable)
                .write.format("delta")
                .mode("append")
                .partitionBy(self.partition_column)
                .option("userMetadata", operation_note("create"))
                .save(self.spark_root)
            )
        except Exception as exc:
            raise self._translated(exc, []) from None

    def _skipped(
        self, days: list[str], txn_app_id: str | None, write_id: str, started: float
    ) -> DeltaWriteResult:
        """Delta skipped the write (its app id was committed before): report that commit."""
        earlier = self._find_commit("txn_app_id", txn_app_id) if txn_app_id else None
        if earlier is None:
            raise StorageError(
                f"{self.name}: the write committed nothing and no earlier commit of "
                f"{txn_app_id or 'this writer'} was found in the last {HISTORY_SEARCH} versions"
            )
        log.info(
            "%s: already written by %s (version %d)", self.name, txn_app_id, earlier["version"]
        )
        counts = {
            str(day): rows
            for day, rows in self.read(days).groupBy(self.partition_column).count().collect()
        }
        return DeltaWriteResult(
            root=self.root,
            partition_column=self.partition_column,
            rows_per_day={day: counts.get(day, 0) for day in days},
            seconds=time.monotonic() - started,
            version=earlier["version"],
            write_id=write_id,
            skipped=True,
        )

    def _find_commit(self, field: str, value: str) -> dict | None:
        """The newest of the last ``HISTORY_SEARCH`` commits whose metadata has ``field=value``."""
        for limit in (1, HISTORY_SEARCH):
            for row in self._delta().history(limit).collect():
                meta = parse_note(row["userMetadata"])
                if meta.get(field) == value:
                    return {"version": row["version"], "metrics": row["operationMetrics"] or {}}
        return None

    # ----------------------------------------------------------------------------------- read

    def read(self, days: Sequence[str] | None = None, *, version: int | None = None) -> DataFrame:
        """The rows of ``days`` (all days when None), with a partition filter Delta prunes by:
        only the files of those days are opened. ``version``: as of that version (time travel).

        Unlike CSV, a day never written reads as empty: Delta records files, and a day written
        with no rows has none.
        """
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        try:
            frame = reader.load(self.spark_root)
        except Exception as exc:
            raise self._translated(exc, []) from None
        if days is None:
            return frame
        wanted = [dt.date.fromisoformat(day) for day in sorted(set(days))]
        return frame.where(F.col(self.partition_column).isin(wanted))

    def stored_days(self) -> list[str]:
        """Days with at least one data file in the newest version (read from the log only)."""
        if not self.exists():
            return []
        pattern = re.compile(rf"/{re.escape(self.partition_column)}=(\d{{4}}-\d{{2}}-\d{{2}})/")
        found = {m.group(1) for path in self.read().inputFiles() if (m := pattern.search(path))}
        return sorted(found)

    def day_path(self, day: str) -> str:
        return f"{self.root}/{day_folder(self.partition_column, day)}"

    # ------------------------------------------------------------------- history and repair

    def history(self, limit: int | None = None) -> list[TableVersion]:
        """The table's versions, newest first (what ran, which days, how many rows and files)."""
        frame = (
            self._delta()
            .history(limit)
            .select(
                "version",
                F.unix_millis("timestamp").alias("millis"),
                "operation",
                "operationParameters",
                "operationMetrics",
                "userMetadata",
            )
        )
        return [table_version(row) for row in frame.collect()]

    def version(self) -> int:
        return self.history(1)[0].version

    def restore(
        self, *, version: int | None = None, before: dt.datetime | None = None
    ) -> RestoreResult:
        """Make the table what it was at ``version``, or at the last version committed before
        ``before`` (UTC). A new version records the restore; history is kept."""
        if (version is None) == (before is None):
            raise ValueError("give exactly one of version and before")
        if before is not None:
            version = self._version_before(before)
        assert version is not None
        note = operation_note("restore", to_version=version)
        with self._exclusive(new_write_id(), None), self._user_metadata(note):
            try:
                metrics = self._delta().restoreToVersion(version).collect()[0].asDict()
            except Exception as exc:
                raise restore_error(exc, self.name, version) from None
        return RestoreResult(
            restored_version=version,
            version=self.version(),
            files_removed=int(metrics.get("num_removed_file", 0)),
            files_restored=int(metrics.get("num_restored_file", 0)),
        )

    def _version_before(self, before: dt.datetime) -> int:
        if before.tzinfo is None:
            before = before.replace(tzinfo=dt.UTC)
        earlier = [v for v in self.history() if v.timestamp < before]
        if not earlier:
            raise PartitionedTableError(
                f"{self.name} has no version committed before {before.isoformat()}"
            )
        return max(v.version for v in earlier)

    def vacuum(self, retain_hours: float) -> None:
        """Delete files no version younger than ``retain_hours`` needs (restores and time travel
        further back than that become impossible)."""
        with self._exclusive(new_write_id(), None):
            self._vacuum(retain_hours)

    def _vacuum(self, retain_hours: float) -> None:
        try:
            self._delta().vacuum(retain_hours)
        except Exception as exc:
            raise StorageError(f"VACUUM of {self.name} refused: {first_line(exc)}") from None

    # -------------------------------------------------------------------------------- helpers

    @contextlib.contextmanager
    def _exclusive(self, write_id: str, run_id: str | None) -> Iterator[None]:
        """Hold the write lease around a commit where Delta's log store needs it (S3)."""
        if not self.needs_lease:
            yield
            return
        lease = WriteLease(
            self.store,
            self.name,
            write_id,
            run_id,
            ttl_seconds=self.options.lease_seconds,
            wait_seconds=self.options.lease_wait_seconds,
        )
        lease.acquire()
        try:
            yield
        finally:
            lease.release()

    def _translated(self, exc: Exception, days: Sequence[str]) -> Exception:
        return translate(exc, self.name, self.root, self.partition_column, days)

    @contextlib.contextmanager
    def _user_metadata(self, text: str) -> Iterator[None]:
        """Delta's RESTORE takes no options: its commit note comes from the session conf."""
        self.spark.conf.set(USER_METADATA_CONF, text)
        try:
            yield
        finally:
            self.spark.conf.unset(USER_METADATA_CONF)


def _days_predicate(column: str, days: Sequence[str]) -> str:
    """``replaceWhere`` covering exactly ``days``: a range when they are consecutive."""
    quoted = f"`{column}`"
    first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
    if (last - first).days + 1 == len(days):
        return f"{quoted} >= DATE'{days[0]}' AND {quoted} <= DATE'{days[-1]}'"
    return f"{quoted} IN ({', '.join(f'DATE{day!r}' for day in days)})"


__all__ = [
    "DeltaDayTable",
    "DeltaOptions",
    "DeltaWriteResult",
    "RestoreResult",
]
