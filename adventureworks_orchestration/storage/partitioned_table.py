"""A table stored as one folder per day, published so that no failure can lose or split a day.

Layout (see ``layout``): ``<root>/<column>=<day>/write=<write id>/part-*.csv``, plus the table's
commit records in ``<root>/_table/``. Works the same on a local folder and on S3 (``s3a://``).

The publish protocol
--------------------
A write of a range of days runs in these steps; the state a reader sees is in brackets.

1. **Lease.** Take ``_table/lease.json`` (one writer at a time; see ``lease``). [version N]
2. **Base and columns.** Read the newest manifest, version N. Refuse columns that contradict days
   the write leaves in place (``schema_evolution``) before any work. [N]
3. **Write.** ONE Spark job writes every day of the range into a NEW folder per day,
   ``<column>=<day>/write=<id>/``, next to the day's current files, never over them; per-day row
   counts come from the same job. Rows dated outside the range fail the write here.
   (``write_empty``, whose caller counted no rows, runs no job and writes nothing.) [N: the new
   folders are in no manifest, so no reader opens them]
4. **Verify.** One listing of the table: every day with rows must have files in its new folder,
   and a day without rows must have none; otherwise fail, naming the days. [N]
5. **Commit.** Put manifest N+1, naming the new files for the written days and the old files for
   every other day, with a put that fails if N+1 exists: ONE atomic call. [N+1, whole]
6. **Clean up**, best effort: delete replaced files kept longer than ``keep_replaced``, folders of
   writes that never committed, Spark's ``_temporary``, and manifests beyond the newest
   ``keep_manifests``; release the lease. [N+1]

What a failure leaves. Before step 5 completes nothing a reader opens has changed: an exception
deletes the new folders (a ``kill -9`` leaves them, unreferenced), and the table is version N,
every day wholly old. After step 5 it is version N+1, every written day wholly new. There is no
third state: the old files of a day are only deleted in step 6 of a LATER write, after a version
that no longer names them was committed, so the old version of a day is never deleted before its
replacement is durable and in place. Nothing has to be rolled forward or back; the next write
deletes the leftovers of an interrupted one (step 6: anything in a ``write=`` folder that no
manifest names), and an expired or dead writer's lease is taken over.

If the commit call itself fails ambiguously (the put may or may not have landed), the writer reads
version N+1 back: if it is its own, the write succeeded; otherwise it fails and leaves its files
to the next writer's clean-up.

Two writers: the lease makes the second wait. If it gets the lease anyway (the first was paused
past its lease), the first fails at step 5 (N+1 exists) or at its lease check, and no version
names its files. A reader needs no lock: it lists the manifests, reads the newest, and opens
exactly the files it names (never a folder listing), so stray or half-written files are never
read.

Columns: each day records the schema it was written with; reads match columns by name (each file's
header is checked against it), so reordered columns read correctly and added columns read as null
on older days.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StructType

from ..partitions.days import parse_day
from .commit_log import CommitLog
from .day_counts import DayCounter
from .errors import (
    ConcurrentWriteError,
    LegacyLayoutError,
    MissingWrittenFilesError,
    PartitionedTableError,
    StorageError,
)
from .layout import (
    MANIFEST_DIR,
    SPARK_TEMPORARY_DIR,
    WRITE_COLUMN,
    day_folder,
    manifest_version,
    new_write_id,
    parse_data_key,
    write_folder,
)
from .lease import WriteLease
from .manifest import DayVersion, Manifest, WriteRecord, describe_days
from .object_store import ObjectStore, StoredObject, object_store_for_session, spark_location
from .schema_evolution import (
    check_schema_change,
    schema_fields,
    schema_fingerprint,
    schema_from_fields,
    stored_schema,
)

log = logging.getLogger(__name__)

# What goes in comes back out: spaces kept, an empty string is not a null ("\\N" is, as in
# Postgres' COPY and Hive), and a value with a line break reads back (multiLine on read).
CSV_OPTIONS = {"header": "true", "escape": '"', "encoding": "UTF-8", "nullValue": "\\N"}
CSV_WRITE_OPTIONS = {
    **CSV_OPTIONS,
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
    "maxRecordsPerFile": "0",  # one file per day: step 4 checks exactly that
}
CSV_READ_OPTIONS = {**CSV_OPTIONS, "multiLine": "true"}
# Spark's file committer writes through <root>/_temporary; which of its two algorithms is cheaper
# depends on the store. On S3 a rename is a copy: algorithm 2 moves each task's files into place
# at task commit (one copy per file, where algorithm 1 makes two); partly visible output does not
# matter here, because nothing is visible until the manifest names it. On a local folder a rename
# is cheap and algorithm 1 is the faster of the two (about 0.3 s less per 90-day write of a small
# table, measured in one Spark session; the README's *Benchmarks* has the whole graph's figure for
# this and the local listing change together).
COMMITTER_OPTIONS = {"mapreduce.fileoutputcommitter.marksuccessfuljobs": "false"}
COMMITTER_ALGORITHM = "mapreduce.fileoutputcommitter.algorithm.version"


def committer_options(root: str) -> dict[str, str]:
    """The file committer's options for a table at ``root`` (see ``COMMITTER_OPTIONS``)."""
    algorithm = "1" if root.startswith("file:") else "2"  # measured on local folders only
    return {**COMMITTER_OPTIONS, COMMITTER_ALGORITHM: algorithm}


@dataclass(frozen=True)
class TableOptions:
    """How long to keep replaced files and manifests, and how the write lease behaves."""

    keep_replaced: dt.timedelta = dt.timedelta(minutes=60)
    keep_manifests: int = 20
    lease_seconds: float = 120
    lease_wait_seconds: float = 600


@dataclass(frozen=True)
class WriteResult:
    root: str
    partition_column: str
    rows_per_day: dict[str, int]
    seconds: float
    version: int = 0
    write_id: str = ""
    files_per_day: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_day.values())

    def day_path(self, day: str) -> str:
        """Where the day's files are (its write folder), or its day folder when it has none."""
        files = self.files_per_day.get(day)
        if files:
            return f"{self.root}/{files[0].rsplit('/', 1)[0]}"
        return f"{self.root}/{day_folder(self.partition_column, day)}"


def _is_day(value: object) -> bool:
    """A day exactly as the layout names it (``parse_day`` alone also takes 2024-3-1)."""
    try:
        return isinstance(value, str) and parse_day(value).isoformat() == value
    except ValueError:
        return False


class PartitionedTable:
    """One stored asset: where it lives, its partition column, and how to read and write days."""

    def __init__(
        self,
        spark: SparkSession,
        root: str,
        partition_column: str,
        *,
        store: ObjectStore | None = None,
        options: TableOptions | None = None,
        name: str | None = None,
    ) -> None:
        self.spark = spark
        self.root = root.rstrip("/")
        self.spark_root = spark_location(self.root)  # what Spark is given (see spark_location)
        self.partition_column = partition_column
        self.name = name or self.root
        self.options = options or TableOptions()
        self.store = store or object_store_for_session(self.root, spark)
        self.log = CommitLog(self.store, partition_column, self.name)

    def manifest(self) -> Manifest:
        return self.log.latest()

    def stored_days(self) -> list[str]:
        """Days the newest version holds (a day with no rows is stored, and empty)."""
        return sorted(self.manifest().days)

    def schema(self) -> StructType:
        """The columns a reader gets: those of the newest write."""
        manifest = self._require_stored(self.manifest())
        return schema_from_fields(manifest.schemas[manifest.current_schema])

    # ---------------------------------------------------------------------------------- write

    def write(
        self, df: DataFrame, days: Sequence[str], *, run_id: str | None = None
    ) -> WriteResult:
        """Replace exactly ``days`` with the rows of ``df`` (which must all fall in those days)."""
        days = self._checked(days, df.columns)
        return self._publish(
            days,
            stored_schema(df.schema, self.partition_column),
            run_id,
            lambda write_id: self._write_files(df, days, write_id),
        )

    def write_empty(
        self, days: Sequence[str], schema: StructType, *, run_id: str | None = None
    ) -> WriteResult:
        """Replace exactly ``days`` with no rows (columns ``schema``), without a Spark job: the
        publish of ``write`` (lease, verify, commit, clean-up) with nothing to write in step 3.
        For a caller that has counted the rows already (a quarantine with nothing in it)."""
        days = self._checked(days, schema.fieldNames())
        stored = stored_schema(schema, self.partition_column)
        return self._publish(days, stored, run_id, lambda _: dict.fromkeys(days, 0))

    def _checked(self, days: Sequence[str], columns: Sequence[str]) -> list[str]:
        """The days of a write, sorted, once they and the output's columns are fit to store."""
        if not days:
            raise PartitionedTableError(f"no days given for the write to {self.name}")
        if self.partition_column not in columns:
            raise PartitionedTableError(
                f"the output for {self.name} has no column {self.partition_column!r} to "
                f"partition by; its columns are {list(columns)}"
            )
        if WRITE_COLUMN in {c.lower() for c in columns}:
            raise PartitionedTableError(
                f"the output for {self.name} has a column named {WRITE_COLUMN!r}, which the "
                "storage layout reserves for its write folders; rename it"
            )
        for day in days:
            if not _is_day(day):
                raise PartitionedTableError(
                    f"{day!r} is not a day (YYYY-MM-DD) to write to {self.name}"
                )
        return sorted(set(days))

    def _publish(
        self,
        days: list[str],
        schema: StructType,
        run_id: str | None,
        write_files: Callable[[str], dict[str, int]],
    ) -> WriteResult:
        """Steps 1-6 around ``write_files`` (step 3: given the write id, it writes the days'
        files and returns the rows written per day)."""
        started = time.monotonic()
        write_id = new_write_id()
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
            base = self.log.latest()
            if base.version == 0:
                self._refuse_legacy_layout()
            check_schema_change(self.name, base, schema, days)
            manifest, expired, listing, files = self._write_and_commit(
                write_files, days, write_id, run_id, schema, base, lease
            )
            self._collect_garbage(manifest, expired, listing)
        finally:
            lease.release()
        seconds = time.monotonic() - started
        log.debug(
            "%s: version %d, %d day(s) in %.1fs", self.name, manifest.version, len(days), seconds
        )
        return WriteResult(
            root=self.root,
            partition_column=self.partition_column,
            rows_per_day={day: manifest.days[day].rows for day in days},
            seconds=seconds,
            version=manifest.version,
            write_id=write_id,
            files_per_day=files,
        )

    def _write_and_commit(
        self,
        write_files: Callable[[str], dict[str, int]],
        days: list[str],
        write_id: str,
        run_id: str | None,
        schema: StructType,
        base: Manifest,
        lease: WriteLease,
    ) -> tuple[Manifest, list[str], list[StoredObject], dict[str, tuple[str, ...]]]:
        """Steps 3-5. Until the commit lands, any failure removes this write's files."""
        listing: list[StoredObject] = []
        try:
            rows_per_day = write_files(write_id)
            listing = list(self.store.list())
            files = self._files_of_write(listing, write_id, rows_per_day)
            schema_id = schema_fingerprint(schema)
            record = WriteRecord(
                write_id=write_id,
                run_id=run_id,
                first_day=days[0],
                last_day=days[-1],
                days=len(days),
                rows=sum(rows_per_day.values()),
                committed_at=dt.datetime.now(dt.UTC).isoformat(),
            )
            new_days = {
                day: DayVersion(files[day], rows_per_day[day], schema_id, write_id) for day in days
            }
            manifest, expired = base.with_write(
                new_days,
                schema_id,
                schema_fields(schema),
                record,
                dt.datetime.now(dt.UTC),
                self.options.keep_replaced,
            )
            lease.check()
        except BaseException:
            self._discard(write_id, listing)
            raise
        try:
            self.log.commit(manifest)
        except BaseException as exc:
            # The call may have taken effect before it failed: a PUT that landed but timed out,
            # retried by the client and then refused (412) because it exists, as our own.
            committed = self.log.committed_by(manifest.version, write_id)
            if committed is False:  # another writer's version, or none at all
                self._discard(write_id, listing)
                raise
            if committed is None:  # cannot tell now: the next writer judges by the manifests
                raise
            if not isinstance(exc, Exception):
                raise  # published; a terminate still stops the run (the next write cleans up)
            log.warning(
                "%s: the commit call failed, but version %d is ours", self.name, manifest.version
            )
        self._refuse_if_superseded(manifest, write_id, listing)
        return manifest, expired, listing, files

    def _refuse_if_superseded(
        self, manifest: Manifest, write_id: str, listing: list[StoredObject]
    ) -> None:
        """A writer paused between its lease check and its commit can find its version number
        free again (pruned by a writer that went on meanwhile); a newer version then exists, and
        readers follow that one. Withdraw ours before anything is cleaned up."""
        newer = [v for v in self.log.versions() if v > manifest.version]
        if not newer:
            return
        self.log.withdraw(manifest.version, write_id)
        self._discard(write_id, listing)
        raise ConcurrentWriteError(
            f"{self.name}: version {max(newer)} was committed by another writer while this run "
            "was paused; nothing of this run was published. Run it again."
        )

    def _write_files(self, df: DataFrame, days: list[str], write_id: str) -> dict[str, int]:
        """The ONE Spark job: every day's rows into ``<column>=<day>/write=<id>/``."""
        counter = DayCounter(days)
        (
            self._rows_to_write(df, write_id, counter)
            .write.partitionBy(self.partition_column, WRITE_COLUMN)
            .mode("append")
            .options(**CSV_WRITE_OPTIONS)
            .options(**committer_options(self.spark_root))
            .csv(self.spark_root)
        )
        return counter.rows_per_day(self.name, self.partition_column)

    def _rows_to_write(self, df: DataFrame, write_id: str, counter: DayCounter) -> DataFrame:
        """``df`` with its write folder column, a day per task, and each day's rows sorted by
        the folder columns and then every data column in order.

        The sort makes a day's file a function of its rows: the same rows give the same file,
        byte for byte, however Spark read and partitioned them on the way
        (``tests/test_validation``), while the days are written by tasks in parallel. That holds
        for values that sort equal only when they print equal, as every column of today's tables
        does; a floating-point column would not (-0.0 and 0.0 sort equal, print differently).
        Spark's partitioned writer needs its input sorted by the folder columns and sorts it itself
        otherwise; this order starts with them, so it is the only sort (the writer's own, by the
        folder columns alone, would keep this order only while it sorts in memory: Spark merges
        spilled runs without a tie-breaker). For that the sort must come after the counting
        ``observe``: below it Spark folds the constant write column out of the sort's order
        (``tests/test_partitioned_table`` holds the order the plan reports).
        """
        column = self.partition_column
        rows = df.select(
            F.col(column).cast("date").alias(column),
            F.lit(write_id).alias(WRITE_COLUMN),
            *[df[c] for c in df.columns if c != column],
        )
        return counter.grouped_by_day(rows, column).sortWithinPartitions(
            *[rows[c] for c in rows.columns]
        )

    def _files_of_write(
        self, listing: Iterable[StoredObject], write_id: str, rows_per_day: dict[str, int]
    ) -> dict[str, tuple[str, ...]]:
        """Step 4: this write's data files per day, checked against the per-day row counts.

        The write makes exactly one file per day with rows (all of a day's rows go to one task,
        ``maxRecordsPerFile`` is 0), so a day whose file storage does not list, or that has more
        than one, is caught here; and the files are made durable (fsync, on a local folder).
        """
        files: dict[str, list[str]] = {day: [] for day in rows_per_day}
        for item in listing:
            key = parse_data_key(item.key, self.partition_column)
            if key and key.write_id == write_id and key.is_data:
                files.setdefault(key.day, []).append(item.key)
        missing = [day for day, rows in rows_per_day.items() if rows and not files.get(day)]
        if missing:
            raise MissingWrittenFilesError(
                f"{self.name}: the write counted rows for {describe_days(missing)} but storage "
                "lists no files for them (a store whose listings lag, or files written where "
                "this process cannot see them: with a cluster master, a local folder must be "
                "shared by every worker). Nothing was published."
            )
        split = [day for day, names in files.items() if len(names) > 1]
        if split:
            raise MissingWrittenFilesError(
                f"{self.name}: storage lists several files for {describe_days(split)} where the "
                "write makes one per day (another writer's files with the same write id?). "
                "Nothing was published."
            )
        unexpected = [day for day, names in files.items() if names and not rows_per_day.get(day)]
        if unexpected:
            raise MissingWrittenFilesError(
                f"{self.name}: files were written for {describe_days(unexpected)}, which the "
                "write counted no rows for. Nothing was published."
            )
        result = {day: tuple(sorted(names)) for day, names in files.items()}
        self.store.make_durable([name for names in result.values() for name in names])
        return result

    def _discard(self, write_id: str, listing: list[StoredObject]) -> None:
        """Delete this write's files after a failure; never raises (the next write would)."""
        try:
            listing = listing or list(self.store.list())
            ours = [
                item.key
                for item in listing
                if (key := parse_data_key(item.key, self.partition_column))
                and key.write_id == write_id
            ]
            self.store.delete_many(ours)
        except Exception as exc:  # noqa: BLE001 - best effort: leftovers are deleted later
            log.warning("%s: could not remove the files of the failed write: %s", self.name, exc)

    def _collect_garbage(
        self, manifest: Manifest, expired: list[str], listing: list[StoredObject]
    ) -> None:
        """Step 6, from the listing taken BEFORE the commit (see the module docstring)."""
        live_folders = {name.rsplit("/", 1)[0] for name in manifest.referenced_files()}
        expired_folders = {name.rsplit("/", 1)[0] for name in expired}
        doomed: list[str] = []
        versions: list[int] = []
        for item in listing:
            key = parse_data_key(item.key, self.partition_column)
            if key is not None:
                folder = write_folder(self.partition_column, key.day, key.write_id)
                if folder in expired_folders or folder not in live_folders:
                    doomed.append(item.key)
            elif item.key.startswith(SPARK_TEMPORARY_DIR + "/"):
                doomed.append(item.key)
            elif (version := manifest_version(item.key)) is not None:
                versions.append(version)
        keep = self.options.keep_manifests
        old_versions = sorted(v for v in versions if v < manifest.version)
        stale = old_versions[: max(0, len(old_versions) - (keep - 1))]
        doomed += [f"{MANIFEST_DIR}/{v:020d}.json" for v in stale]
        if not doomed:
            return
        try:
            self.store.delete_many(doomed)
        except Exception as exc:  # noqa: BLE001 - the data is published; leftovers go next time
            log.warning(
                "%s: clean-up after the write failed (%s); the next write retries", self.name, exc
            )

    def _refuse_legacy_layout(self) -> None:
        """Tables of awo < 0.2 (folders swapped in place, ``_schema.json``) are not read."""
        for item in self.store.list("_schema.json"):
            if item.key == "_schema.json":
                raise LegacyLayoutError(
                    f"{self.name} holds a table written by an earlier version of this project "
                    "(a _schema.json and no _table/ folder), which this version does not read. "
                    f"Delete {self.root} and materialize the asset again."
                )

    # ----------------------------------------------------------------------------------- read

    def read(self, days: Sequence[str] | None = None) -> DataFrame:
        """The rows of ``days`` (all stored days when None), opening exactly the files the newest
        manifest names for them; columns by name, as of the newest write."""
        manifest = self._require_stored(self.manifest())
        if days is None:
            wanted = sorted(manifest.days)
        else:
            wanted = sorted(set(days))
            missing = [day for day in wanted if day not in manifest.days]
            if missing:
                raise PartitionedTableError(
                    f"{self.name} has no stored data for {describe_days(missing)}; "
                    "materialize those partitions first"
                )
        target = schema_from_fields(manifest.schemas[manifest.current_schema])
        by_schema: dict[str, list[str]] = {}
        for day in wanted:
            version = manifest.days[day]
            by_schema.setdefault(version.schema, []).extend(version.files)
        frames = [
            self._read_files(files, schema_from_fields(manifest.schemas[schema_id]), target)
            for schema_id, files in sorted(by_schema.items())
            if files
        ]
        if not frames:
            return self.spark.createDataFrame([], target)
        return reduce(DataFrame.unionByName, frames)

    def _read_files(self, files: list[str], written: StructType, target: StructType) -> DataFrame:
        column = self.partition_column
        data_schema = StructType([f for f in written.fields if f.name != column])
        frame = (
            self.spark.read.schema(data_schema)
            .options(**CSV_READ_OPTIONS)
            .option("enforceSchema", "false")  # each file's header must name these columns
            .option("mode", "FAILFAST")  # our own files: a row that does not parse is corruption
            .option("basePath", self.spark_root)
            .csv([f"{self.spark_root}/{name}" for name in files])
            .withColumn(column, F.col(column).cast(DateType()))
        )
        present = set(frame.columns)
        return frame.select(
            *[
                F.col(f.name) if f.name in present else F.lit(None).cast(f.dataType).alias(f.name)
                for f in target.fields
            ]
        )

    def _require_stored(self, manifest: Manifest) -> Manifest:
        if manifest.version == 0:
            self._refuse_legacy_layout()
            raise PartitionedTableError(f"{self.name} has no stored days; materialize it first")
        return manifest


__all__ = [
    "CSV_OPTIONS",
    "PartitionedTable",
    "PartitionedTableError",
    "StorageError",
    "TableOptions",
    "WriteResult",
]
