"""The lesson's CSV IO managers: ``PartitionedTableIOManager`` with CSV as the default format.

``LocalPartitionedCsvIOManager`` and ``S3PartitionedCsvIOManager`` differ only in their base path;
an asset whose ``table_format`` metadata says ``delta`` is still stored as Delta by them.
"""

from typing import ClassVar

from ..settings import TableFormat
from .table_io_manager import (
    PARTITION_COLUMN_METADATA_KEY,
    LocalPartitionedTableIOManager,
    PartitionedTableIOManager,
    S3PartitionedTableIOManager,
)


class PartitionedCsvIOManager(PartitionedTableIOManager):
    """Day-partitioned tables stored as CSV unless an asset says otherwise."""

    DEFAULT_FORMAT: ClassVar[TableFormat] = "csv"


class LocalPartitionedCsvIOManager(LocalPartitionedTableIOManager, PartitionedCsvIOManager):
    """CSV tables under a local folder (the embedded default)."""


class S3PartitionedCsvIOManager(S3PartitionedTableIOManager, PartitionedCsvIOManager):
    """CSV tables in an S3 bucket (the lesson's signature: ``pyspark``, ``s3_bucket``)."""


__all__ = [
    "PARTITION_COLUMN_METADATA_KEY",
    "LocalPartitionedCsvIOManager",
    "PartitionedCsvIOManager",
    "S3PartitionedCsvIOManager",
]
