"""Delta IO managers: ``PartitionedTableIOManager`` with Delta as the default format.

``LocalPartitionedDeltaIOManager`` and ``S3PartitionedDeltaIOManager`` differ only in their base
path, as the CSV ones do; the behaviour (ranges in one job, pruned reads, per-day metadata) is the
same class's, and the Delta mechanics are ``storage.delta_table``'s.
"""

from typing import ClassVar

from ..settings import TableFormat
from .table_io_manager import (
    LocalPartitionedTableIOManager,
    PartitionedTableIOManager,
    S3PartitionedTableIOManager,
)


class PartitionedDeltaIOManager(PartitionedTableIOManager):
    """Day-partitioned tables stored as Delta unless an asset says otherwise."""

    DEFAULT_FORMAT: ClassVar[TableFormat] = "delta"


class LocalPartitionedDeltaIOManager(LocalPartitionedTableIOManager, PartitionedDeltaIOManager):
    """Delta tables under a local folder."""


class S3PartitionedDeltaIOManager(S3PartitionedTableIOManager, PartitionedDeltaIOManager):
    """Delta tables in an S3-compatible bucket."""
