"""Dagster wiring for day-partitioned CSV tables; the storage mechanics live in ``storage/``.

One class serves every storage: ``LocalPartitionedCsvIOManager`` and
``S3PartitionedCsvIOManager`` only say where the root is.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
from dagster_pyspark import PySparkResource
from pyspark.sql import DataFrame

from ..storage.errors import (
    ConcurrentWriteError,
    LeaseLostError,
    StorageError,
    TableBusyError,
)
from ..storage.partitioned_table import PartitionedTable, TableOptions, WriteResult
from .spark_errors import explain_file_failure

PARTITION_COLUMN_METADATA_KEY = "partition_column"
DEFAULT_PARTITION_COLUMN = "partition_date"


class PartitionedCsvIOManager(dg.ConfigurableIOManager):
    """Stores each day of a daily-partitioned asset in its own folder, a range in one Spark job.

    The partition column is named by the asset's ``partition_column`` metadata. Outputs that
    cover several days (single-run backfills) are written together; inputs load exactly the days
    the consuming step needs, or every stored day for an unpartitioned consumer.
    """

    pyspark: dg.ResourceDependency[PySparkResource]
    keep_replaced_minutes: float = 60.0
    lease_seconds: float = 120.0
    lease_wait_seconds: float = 600.0

    @property
    def _base_path(self) -> str:
        raise NotImplementedError("use LocalPartitionedCsvIOManager or S3PartitionedCsvIOManager")

    def handle_output(self, context: dg.OutputContext, obj: DataFrame) -> None:
        if not context.has_asset_partitions:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} is not partitioned; "
                f"{type(self).__name__} stores day-partitioned assets only"
            )
        days = list(context.asset_partition_keys)
        table = self._table(context.asset_key, _partition_column(context.definition_metadata))
        asset = context.asset_key.to_user_string()
        context.log.info(f"{asset}: writing {_span(days)} to {table.root} in one Spark job")
        try:
            result = table.write(obj, days, run_id=context.run_id)
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
        context.log.info(
            f"{asset}: published {len(days)} day(s), {result.total_rows} rows "
            f"in {result.seconds:.1f}s (table version {result.version})"
        )
        context.add_output_metadata(_range_metadata(result, days))
        _add_per_day_metadata(context, result)

    def load_input(self, context: dg.InputContext) -> DataFrame:
        upstream = context.upstream_output
        column = _partition_column(upstream.definition_metadata if upstream else {})
        table = self._table(context.asset_key, column)
        days = list(context.asset_partition_keys) if context.has_asset_partitions else None
        context.log.info(
            f"{context.asset_key.to_user_string()}: reading "
            f"{_span(days) if days else 'all stored days'} from {table.root}"
        )
        try:
            return table.read(days)
        except StorageError as exc:
            raise _failure(exc) from None

    def _table(self, asset_key: dg.AssetKey, partition_column: str) -> PartitionedTable:
        root = "/".join([self._base_path.rstrip("/"), *asset_key.path])
        options = TableOptions(
            keep_replaced=dt.timedelta(minutes=self.keep_replaced_minutes),
            lease_seconds=self.lease_seconds,
            lease_wait_seconds=self.lease_wait_seconds,
        )
        return PartitionedTable(
            self.pyspark.spark_session,
            root,
            partition_column,
            options=options,
            name=asset_key.to_user_string(),
        )


class LocalPartitionedCsvIOManager(PartitionedCsvIOManager):
    """Tables under a local folder (the embedded default)."""

    base_dir: str

    @property
    def _base_path(self) -> str:
        return Path(self.base_dir).expanduser().absolute().as_uri()


class S3PartitionedCsvIOManager(PartitionedCsvIOManager):
    """Tables in an S3-compatible bucket, through Spark's S3A connector."""

    s3_bucket: str
    s3_prefix: str = ""

    @property
    def _base_path(self) -> str:
        return "/".join(
            part for part in ("s3a://" + self.s3_bucket, self.s3_prefix.strip("/")) if part
        )


def _failure(error: StorageError) -> dg.Failure:
    """The step's failure: retried (the asset's RetryPolicy) only when waiting can help."""
    transient = isinstance(error, TableBusyError | LeaseLostError | ConcurrentWriteError)
    return dg.Failure(description=str(error), allow_retries=transient)


def _partition_column(metadata: object) -> str:
    value = dict(metadata or {}).get(PARTITION_COLUMN_METADATA_KEY, DEFAULT_PARTITION_COLUMN)
    return str(getattr(value, "value", value))


def _span(days: list[str]) -> str:
    return days[0] if len(days) == 1 else f"{len(days)} days {days[0]}..{days[-1]}"


def _range_metadata(result: WriteResult, days: list[str]) -> dict[str, object]:
    return {
        "path": result.root,
        "partition_column": result.partition_column,
        "days_written": len(days),
        "first_day": days[0],
        "last_day": days[-1],
        "rows_written": result.total_rows,
        "write_seconds": round(result.seconds, 2),
        "table_version": result.version,
        "write_id": result.write_id,
    }


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
