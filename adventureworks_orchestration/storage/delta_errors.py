"""Delta's refusals as the storage errors of this project: one sentence naming the table and
what to do, whatever Delta's error class (matched in its message: PySpark raises them as generic
``AnalysisException`` or Py4J errors)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from .day_counts import outside_days_error
from .errors import ConcurrentWriteError, PartitionedTableError, SchemaChangeError, StorageError

_CONFLICT = re.compile(
    r"Concurrent\w*Exception|MetadataChangedException|ProtocolChangedException|"
    r"DELTA_CONCURRENT_|DELTA_METADATA_CHANGED|DELTA_PROTOCOL_CHANGED"
)
_SCHEMA = re.compile(r"DELTA_FAILED_TO_MERGE_FIELDS|SCHEMA_MISMATCH|INCOMPATIBLE_DATATYPE")


def translate(exc: Exception, name: str, root: str, column: str, days: Sequence[str]) -> Exception:
    """The storage error for a failed Delta read or write of ``days``; anything else unchanged."""
    text = str(exc)
    missing_root = "PATH_NOT_FOUND" in text and unquote(urlparse(root).path) in text
    if missing_root or "DELTA_MISSING_DELTA_TABLE" in text or "is not a Delta table" in text:
        return PartitionedTableError(f"{name} has no stored days; materialize it first")
    if "DELTA_REPLACE_WHERE_MISMATCH" in text:
        return outside_days_error(name, column, days, refused_row(text, column))
    if _CONFLICT.search(text):
        return ConcurrentWriteError(
            f"{name}: another writer committed to the same days (or changed the table's "
            f"columns) while this write ran, so Delta refused this commit ({first_line(exc)}); "
            "nothing of this write is visible. Run it again."
        )
    if _SCHEMA.search(text):
        return SchemaChangeError(
            f"{name}: the new rows' columns do not fit the stored table ({first_line(exc)}); "
            "nothing was written. Keep each column's type, or write the asset to a new table."
        )
    if "DELTA_PARTITION" in text or "partition columns" in text.lower():
        return PartitionedTableError(
            f"{name}: the stored Delta table is partitioned differently from {column!r} "
            f"({first_line(exc)})"
        )
    return exc


def restore_error(exc: Exception, name: str, version: int) -> StorageError:
    text = str(exc)
    if "FileNotFound" in text or "DELTA_FILE_NOT_FOUND" in text or "missing" in text.lower():
        return StorageError(
            f"cannot restore {name} to version {version}: some of its data files were deleted "
            "by VACUUM (files older than the retention period are gone; see "
            f"AWO_DELTA_VACUUM_RETAIN_HOURS). Detail: {first_line(exc)}"
        )
    return StorageError(f"cannot restore {name} to version {version}: {first_line(exc)}")


def refused_row(text: str, column: str) -> str:
    """'a row dated 2024-03-05' from Delta's constraint message (which shows a date as the number
    of days since 1970-01-01), or 'a row without a day'."""
    match = re.search(rf"-\s*{re.escape(column)}\s*:\s*(\S+)", text)
    if not match:
        return "Delta refused the rows (see the Spark log)"
    value = match.group(1)
    if value == "null":
        return "a row without a day"
    if value.lstrip("-").isdigit():
        value = (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    return f"a row dated {value}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
