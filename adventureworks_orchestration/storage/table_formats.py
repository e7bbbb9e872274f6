"""Opening a stored asset in its format (CSV or Delta), and refusing a folder of the other one.

Both formats keep days under ``<column>=<day>/`` in the same root, so a format switched for an
asset that is already stored would leave two tables in one folder, and switching back would read
the old one as if nothing had happened. A write or read in one format therefore first checks that
the folder holds no table of the other (one listing per commit-record folder).
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from ..settings import TABLE_FORMATS, TableFormat
from .delta_table import DeltaDayTable, DeltaOptions
from .errors import TableFormatError
from .layout import MANIFEST_DIR
from .object_store import ObjectStore
from .partitioned_table import PartitionedTable, TableOptions

DELTA_LOG_DIR = "_delta_log"
_COMMIT_RECORDS: dict[TableFormat, str] = {"csv": MANIFEST_DIR + "/", "delta": DELTA_LOG_DIR + "/"}

DayTable = PartitionedTable | DeltaDayTable


def stored_format(store: ObjectStore) -> TableFormat | None:
    """The format whose commit records the folder holds, or None for an empty or new folder."""
    for table_format, prefix in _COMMIT_RECORDS.items():
        if next(iter(store.list(prefix)), None) is not None:
            return table_format
    return None


def open_table(
    spark: SparkSession,
    root: str,
    partition_column: str,
    table_format: TableFormat,
    *,
    name: str,
    csv_options: TableOptions | None = None,
    delta_options: DeltaOptions | None = None,
) -> DayTable:
    """The table at ``root`` in ``table_format``; ``TableFormatError`` if it holds the other."""
    if table_format not in TABLE_FORMATS:
        raise TableFormatError(
            f"{name}: unknown table format {table_format!r}; use one of {', '.join(TABLE_FORMATS)}"
        )
    table: DayTable
    if table_format == "delta":
        table = DeltaDayTable(spark, root, partition_column, name=name, options=delta_options)
    else:
        table = PartitionedTable(spark, root, partition_column, name=name, options=csv_options)
    found = stored_format(table.store)
    if found is not None and found != table_format:
        raise TableFormatError(
            f"{name} is stored as {found.upper()} at {root}, but is now to be "
            f"{table_format.upper()} (AWO_TABLE_FORMAT, or the asset's table_format metadata). "
            f"Set the format back to {found}, or delete {root} and materialize the asset again."
        )
    return table
