"""The quarantine: every rejected landing record, kept per table and day beside the tables.

Layout: ``<warehouse>/quarantine/<table>/`` is a ``storage.partitioned_table.PartitionedTable``
partitioned by ``landing_date`` (the day of the landing file), so it has the tables' publish
guarantees: one atomic commit per write, a write lease, clean-up of replaced files. A run writes
EVERY day it ingests (a day without rejected records is stored empty), so re-running a day
replaces its quarantine, and a fixed file leaves none behind.

Columns: ``source_file`` (the landing file's URI), ``line`` and ``last_line`` (where the record
is; they differ when a quoted field spans lines), ``reason_code``, ``reason`` (one sentence) and
``raw``: the record's bytes as in the file, escaped to one line by ``parser.escape_raw``
(``parser.unescape_raw`` gives the bytes back).

Reading needs no Spark (``quarantine_counts``, ``quarantined_rows``): the newest manifest says
which files hold each day and how many rows, and the files are small CSVs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..settings import Settings
from ..storage.commit_log import CommitLog
from ..storage.object_store import ObjectStore, object_store_for
from .paths import LANDING_TABLES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from ..storage.partitioned_table import TableOptions, WriteResult

QUARANTINE_DIR = "quarantine"
QUARANTINE_DAY_COLUMN = "landing_date"


def quarantine_root(warehouse_uri: str, table: str) -> str:
    """Where ``table``'s quarantine lives under a warehouse root URI."""
    return f"{warehouse_uri.rstrip('/')}/{QUARANTINE_DIR}/{table}"


def quarantine_name(table: str) -> str:
    """How messages and the write lease name a table's quarantine."""
    return f"{QUARANTINE_DIR}/{table}"


@dataclass(frozen=True)
class QuarantinedRow:
    table: str
    day: str
    source_file: str
    line: int
    last_line: int
    reason_code: str
    reason: str
    raw: str


def quarantine_frame(validated: DataFrame, partition_column: str) -> DataFrame:
    """The quarantined records of ``landing.validation.validate``'s output, as stored. (The
    table write sorts each day's rows by these columns in this order, file and line first after
    the day, so the same input gives the same files: ``PartitionedTable._rows_to_write``.)"""
    from pyspark.sql import functions as F

    from .reader import LAST_LINE, LINE, RAW, SOURCE_FILE
    from .validation import QUARANTINED, REASON, REASON_CODE, STATUS

    return validated.where(F.col(STATUS) == QUARANTINED).select(
        F.col(partition_column).alias(QUARANTINE_DAY_COLUMN),
        SOURCE_FILE,
        LINE,
        LAST_LINE,
        REASON_CODE,
        REASON,
        RAW,
    )


def write_quarantine(
    frame: DataFrame,
    warehouse_uri: str,
    table: str,
    days: Sequence[str],
    options: TableOptions,
    run_id: str | None = None,
    *,
    rows: int | None = None,
) -> WriteResult:
    """Replace ``days`` of ``table``'s quarantine with the rows of ``frame`` (columns as above).

    ``rows``: how many rows ``frame`` holds, when the caller has counted them. With 0 (a run
    that quarantined nothing, as most do) the days are committed empty without a Spark job."""
    from ..storage.partitioned_table import PartitionedTable

    target = PartitionedTable(
        frame.sparkSession,
        quarantine_root(warehouse_uri, table),
        QUARANTINE_DAY_COLUMN,
        options=options,
        name=quarantine_name(table),
    )
    if rows == 0:
        return target.write_empty(days, frame.schema, run_id=run_id)
    return target.write(frame, days, run_id=run_id)


def _store(settings: Settings, table: str) -> ObjectStore:
    root = settings.warehouse_root
    uri = root if "://" in root else Path(root).expanduser().absolute().as_uri()
    return object_store_for(quarantine_root(uri, table), settings.s3)


def quarantine_counts(
    settings: Settings,
    tables: Iterable[str] | None = None,
    days: Iterable[str] | None = None,
) -> dict[str, dict[str, int]]:
    """Quarantined rows per table and day, as stored now: ``{table: {day: rows}}``.

    Only days the quarantine holds are listed (a day that was ingested with nothing rejected is
    there with 0; a day never ingested is absent). Reads one manifest per table, no data files.
    """
    wanted = set(days) if days is not None else None
    counts: dict[str, dict[str, int]] = {}
    for table in tables or LANDING_TABLES:
        manifest = CommitLog(
            _store(settings, table), QUARANTINE_DAY_COLUMN, quarantine_name(table)
        ).latest()
        counts[table] = {
            day: version.rows
            for day, version in sorted(manifest.days.items())
            if wanted is None or day in wanted
        }
    return counts


def quarantined_rows(
    settings: Settings, table: str, days: Sequence[str] | None = None
) -> Iterator[QuarantinedRow]:
    """The stored quarantined records of ``table`` (for ``days``, else all), day by day."""
    store = _store(settings, table)
    manifest = CommitLog(store, QUARANTINE_DAY_COLUMN, quarantine_name(table)).latest()
    for day in sorted(days if days is not None else manifest.days):
        version = manifest.days.get(day)
        for name in version.files if version else ():
            found = store.get(name)
            if found is None:  # replaced and cleaned up since the manifest was read
                continue
            for row in csv.DictReader(io.StringIO(found[0].decode("utf-8"))):
                yield QuarantinedRow(
                    table=table,
                    day=day,
                    source_file=row["source_file"],
                    line=int(row["line"]),
                    last_line=int(row["last_line"]),
                    reason_code=row["reason_code"],
                    reason=row["reason"],
                    raw=row["raw"],
                )
