"""What can go wrong with a stored table, each a sentence that names the table and what to do."""


class StorageError(RuntimeError):
    """A read or write of a table that cannot be done; the message says why and what to do."""


class PartitionedTableError(StorageError):
    """The request does not fit the table (days not stored, rows outside the days written...)."""


class TableBusyError(StorageError):
    """Another writer holds the table's write lease and did not let go in time."""


class LeaseLostError(StorageError):
    """This writer's lease was taken over (it expired) before the write could commit."""


class ConcurrentWriteError(StorageError):
    """Another writer committed a version of the table while this one was writing."""


class SchemaChangeError(StorageError):
    """The new rows' columns are incompatible with days the write leaves in place."""


class MissingWrittenFilesError(StorageError):
    """Days that have rows have no files after the write: nothing was published."""


class LegacyLayoutError(StorageError):
    """The folder holds a table in the layout of an earlier version (no commit records)."""


class TableFormatError(StorageError):
    """The table's folder holds the other format (CSV where Delta is asked for, or the reverse)."""
