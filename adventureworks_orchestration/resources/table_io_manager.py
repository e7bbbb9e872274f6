"""Dagster wiring for day-partitioned tables in either format; the mechanics live in ``storage/``.

One class holds all the behaviour for CSV and Delta and for every storage: an asset is stored in
its ``table_format`` metadata's format, else in the IO manager's (``AWO_TABLE_FORMAT``); the
lesson's ``LocalPartitionedCsvIOManager`` / ``S3PartitionedCsvIOManager`` (``csv_io_manager``) and
their Delta twins (``delta_io_manager``) only say where the root is and which format is the
default.
"""

import datetime as dt
from pathlib import Path
from typing import ClassVar

import dagster as dg
from dagster_pyspark import PySparkResource
from pyspark.sql import DataFrame, SparkSession

from ..settings import TableFormat
from ..storage.delta_table import DeltaDayTable, DeltaOptions, DeltaWriteResult
from ..storage.errors import ConcurrentWriteError, LeaseLostError, StorageError, TableBusyError
from ..storage.partitioned_table import TableOptions, WriteResult
from ..storage.table_formats import DayTable, open_table
from .delta_spark import session_has_delta
from .spark_driver import driver_stop_fails_step
from .spark_errors import explain_file_failure

PARTITION_COLUMN_METADATA_KEY = "partition_column"
TABLE_FORMAT_METADATA_KEY = "table_format"
DEFAULT_PARTITION_COLUMN = "partition_date"
# Delta's idempotent-write app id: the same for every attempt of a step within one run.
TXN_APP_ID_PREFIX = "dagster-run:"


class PartitionedTableIOManager(dg.ConfigurableIOManager):
    """Stores each day of a daily-partitioned asset under its own folder, a range in one Spark job.

    The partition column is named by the asset's ``partition_column`` metadata, the format by its
    ``table_format`` metadata (default: ``table_format`` here, else the class's). Outputs that
    cover several days (single-run backfills) are written together; inputs load exactly the days
    the consuming step needs, or every stored day for an unpartitioned consumer.
    """

    DEFAULT_FORMAT: ClassVar[TableFormat] = "csv"

    pyspark: dg.ResourceDependency[PySparkResource]
    table_format: str | None = None  # "csv" or "delta" (Dagster config has no Literal)
    keep_replaced_minutes: float = 60.0
    lease_seconds: float = 120.0
    lease_wait_seconds: float = 600.0
    delta_vacuum_after_write: bool = False
    delta_vacuum_retain_hours: float = 168.0

    @property
    def _base_path(self) -> str:
        raise NotImplementedError("use a Local... or S3... IO manager, which says where tables are")

    def table_uri(self, asset_key: dg.AssetKey) -> str:
        return "/".join([self._base_path.rstrip("/"), *asset_key.path])

    def format_of(self, metadata: object) -> TableFormat:
        """An asset's format: its ``table_format`` metadata, else this IO manager's default."""
        default = self.table_format or self.DEFAULT_FORMAT
        return _metadata_value(metadata, TABLE_FORMAT_METADATA_KEY, default)  # type: ignore[return-value]

    def table_for(self, spark: SparkSession, asset_key: dg.AssetKey, metadata: object) -> DayTable:
        """The stored table of an asset with this definition metadata (also used by the CLI)."""
        table_format = self.format_of(metadata)
        if table_format == "delta" and not session_has_delta(spark):
            raise StorageError(
                f"{asset_key.to_user_string()} is stored as Delta, but this Spark session was "
                "started without the Delta extensions: build the resources with the assets "
                "(build_definitions does) or set AWO_TABLE_FORMAT=delta"
            )
        return open_table(
            spark,
            self.table_uri(asset_key),
            _metadata_value(metadata, PARTITION_COLUMN_METADATA_KEY, DEFAULT_PARTITION_COLUMN),
            table_format,
            name=asset_key.to_user_string(),
            csv_options=TableOptions(
                keep_replaced=dt.timedelta(minutes=self.keep_replaced_minutes),
                lease_seconds=self.lease_seconds,
                lease_wait_seconds=self.lease_wait_seconds,
            ),
            delta_options=DeltaOptions(
                vacuum_after_write=self.delta_vacuum_after_write,
                vacuum_retain_hours=self.delta_vacuum_retain_hours,
                lease_seconds=self.lease_seconds,
                lease_wait_seconds=self.lease_wait_seconds,
            ),
        )

    def handle_output(self, context: dg.OutputContext, obj: DataFrame) -> None:
        if not context.has_asset_partitions:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} is not partitioned; "
                f"{type(self).__name__} stores day-partitioned assets only"
            )
        days = list(context.asset_partition_keys)
        asset = context.asset_key.to_user_string()
        try:
            with driver_stop_fails_step(self.pyspark, asset, days):
                table = self.table_for(
                    self.pyspark.spark_session, context.asset_key, context.definition_metadata
                )
                context.log.info(f"{asset}: writing {_span(days)} to {table.root} in one Spark job")
                result = _write(table, obj, days, context)
        except StorageError as exc:
            raise _failure(exc) from None
        except Exception as exc:
            failure = explain_file_failure(exc)
            if failure is None:
                raise
            raise dg.Failure(
                description=f"{asset} was not written: cannot read {failure}. "
                "Nothing was published; fix or remove the file and run again.",
                metadata={"file": failure.path, "reason": failure.reason},
                allow_retries=False,  # the same file fails the same way
            ) from None
        if isinstance(result, DeltaWriteResult) and result.skipped:
            context.log.info(
                f"{asset}: already written by an earlier attempt of this run (Delta version "
                f"{result.version}); nothing written again"
            )
        else:
            context.log.info(
                f"{asset}: published {len(days)} day(s), {result.total_rows} rows "
                f"in {result.seconds:.1f}s (table version {result.version})"
            )
        context.add_output_metadata(_range_metadata(result, days))
        _add_per_day_metadata(context, result)

    def load_input(self, context: dg.InputContext) -> DataFrame:
        upstream = context.upstream_output
        metadata = upstream.definition_metadata if upstream else {}
        days = list(context.asset_partition_keys) if context.has_asset_partitions else None
        step = f"reading {context.asset_key.to_user_string()}"
        try:
            with driver_stop_fails_step(self.pyspark, step, days or []):
                table = self.table_for(self.pyspark.spark_session, context.asset_key, metadata)
                context.log.info(
                    f"{context.asset_key.to_user_string()}: reading "
                    f"{_span(days) if days else 'all stored days'} from {table.root}"
                )
                return table.read(days)
        except StorageError as exc:
            raise _failure(exc) from None


class LocalPartitionedTableIOManager(PartitionedTableIOManager):
    """Tables under a local folder (the embedded default)."""

    base_dir: str

    @property
    def _base_path(self) -> str:
        return Path(self.base_dir).expanduser().absolute().as_uri()


class S3PartitionedTableIOManager(PartitionedTableIOManager):
    """Tables in an S3-compatible bucket, through Spark's S3A connector."""

    s3_bucket: str
    s3_prefix: str = ""

    @property
    def _base_path(self) -> str:
        return "/".join(
            part for part in ("s3a://" + self.s3_bucket, self.s3_prefix.strip("/")) if part
        )


def _write(table: DayTable, obj: DataFrame, days: list[str], context: dg.OutputContext):  # noqa: ANN202
    """The write, keyed for Delta's exactly-once by the run id: a retried step of the same run
    (its RetryPolicy) finds its earlier commit and writes nothing twice. A re-execution is a new
    run and writes again: its inputs may have been fixed since (a corrected landing file), and
    keying by the root run id would keep the old rows while recording the new input."""
    if not isinstance(table, DeltaDayTable):
        return table.write(obj, days, run_id=context.run_id)
    app_id = TXN_APP_ID_PREFIX + context.run_id
    return table.write(obj, days, run_id=context.run_id, txn_app_id=app_id)


def _failure(error: StorageError) -> dg.Failure:
    """The step's failure: retried (the asset's RetryPolicy) only when waiting can help."""
    transient = isinstance(error, TableBusyError | LeaseLostError | ConcurrentWriteError)
    return dg.Failure(description=str(error), allow_retries=transient)


def _metadata_value(metadata: object, key: str, default: str) -> str:
    value = dict(metadata or {}).get(key, default)
    return str(getattr(value, "value", value))


def _span(days: list[str]) -> str:
    return days[0] if len(days) == 1 else f"{len(days)} days {days[0]}..{days[-1]}"


def _range_metadata(result: WriteResult, days: list[str]) -> dict[str, object]:
    metadata: dict[str, object] = {
        "path": result.root,
        "table_format": "delta" if isinstance(result, DeltaWriteResult) else "csv",
        "partition_column": result.partition_column,
        "days_written": len(days),
        "first_day": days[0],
        "last_day": days[-1],
        "rows_written": result.total_rows,
        "write_seconds": round(result.seconds, 2),
        "table_version": result.version,
        "write_id": result.write_id,
    }
    if isinstance(result, DeltaWriteResult):
        metadata.update(result.delta_metadata())
    return metadata


def _add_per_day_metadata(context: dg.OutputContext, result: WriteResult) -> None:
    """Give each day's materialization its own row count and folder (Dagster keys it by day)."""
    step_context = getattr(context, "step_context", None)
    if step_context is None:
        return
    for day, rows in result.rows_per_day.items():
        step_context.add_asset_metadata(
            {"dagster/row_count": rows, "partition_path": result.day_path(day)},
            asset_key=context.asset_key,
            partition_key=day,
        )
