"""A table version: which files make up each day, their rows and columns, and what to clean up.

Pure data (no Spark, no storage calls), so every rule here is tested directly. ``commit_log``
stores one manifest per version; the newest committed one IS the table as every reader sees it.

Replaced files are not deleted at once: a run that started reading a day a moment before it was
replaced is still reading those files. They are kept, listed under ``retired`` with the time they
were replaced, for ``keep_replaced`` (``AWO_STORAGE_KEEP_REPLACED_MINUTES``), and deleted by the
first write after that. Files of a write that never committed are in no manifest at all; the next
write of the table deletes them (see ``partitioned_table``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DayVersion:
    """One day as of one write: its files (empty for a day with no rows), rows and columns."""

    files: tuple[str, ...]
    rows: int
    schema: str
    write_id: str


@dataclass(frozen=True)
class RetiredFiles:
    files: tuple[str, ...]
    since: str  # ISO time (UTC) the files stopped being current
    write_id: str


@dataclass(frozen=True)
class WriteRecord:
    """Who made this version: for people reading the manifest, and for `awo` to show."""

    write_id: str
    run_id: str | None
    first_day: str
    last_day: str
    days: int
    rows: int
    committed_at: str


@dataclass(frozen=True)
class Manifest:
    version: int
    partition_column: str
    days: Mapping[str, DayVersion] = field(default_factory=dict)
    schemas: Mapping[str, list[dict]] = field(default_factory=dict)
    current_schema: str | None = None
    retired: tuple[RetiredFiles, ...] = ()
    last_write: WriteRecord | None = None

    @classmethod
    def empty(cls, partition_column: str) -> Manifest:
        """Version 0: the table before its first commit (never stored)."""
        return cls(version=0, partition_column=partition_column)

    def referenced_files(self) -> set[str]:
        """Every file a reader of this version may open: current days and kept replaced ones."""
        files = {name for day in self.days.values() for name in day.files}
        return files | {name for batch in self.retired for name in batch.files}

    def with_write(
        self,
        new_days: Mapping[str, DayVersion],
        schema_id: str,
        schema_fields: list[dict],
        write: WriteRecord,
        now: dt.datetime,
        keep_replaced: dt.timedelta,
    ) -> tuple[Manifest, list[str]]:
        """The next version with ``new_days`` replaced, and the files it no longer needs.

        Files of the days replaced here are kept as ``retired`` unless ``keep_replaced`` is zero;
        retired files older than ``keep_replaced`` are dropped and returned for deletion.
        """
        stamp = now.astimezone(dt.UTC).isoformat()
        expired: list[str] = []
        kept: list[RetiredFiles] = []
        for batch in self.retired:
            if keep_replaced and now - dt.datetime.fromisoformat(batch.since) < keep_replaced:
                kept.append(batch)
            else:
                expired.extend(batch.files)
        replaced: dict[str, list[str]] = {}
        for day in new_days:
            old = self.days.get(day)
            if old and old.files:
                replaced.setdefault(old.write_id, []).extend(old.files)
        for write_id, files in sorted(replaced.items()):
            if keep_replaced:
                kept.append(RetiredFiles(tuple(sorted(files)), stamp, write_id))
            else:
                expired.extend(files)
        days = {**self.days, **new_days}
        used = {version.schema for version in days.values()} | {schema_id}
        schemas = {**self.schemas, schema_id: schema_fields}
        next_version = replace(
            self,
            version=self.version + 1,
            days=dict(sorted(days.items())),
            schemas={sid: schemas[sid] for sid in sorted(used)},
            current_schema=schema_id,
            retired=tuple(kept),
            last_write=write,
        )
        return next_version, sorted(expired)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT_VERSION,
            "version": self.version,
            "partition_column": self.partition_column,
            "current_schema": self.current_schema,
            "schemas": self.schemas,
            "days": {
                day: {
                    "files": list(v.files),
                    "rows": v.rows,
                    "schema": v.schema,
                    "write_id": v.write_id,
                }
                for day, v in self.days.items()
            },
            "retired": [
                {"files": list(r.files), "since": r.since, "write_id": r.write_id}
                for r in self.retired
            ],
            "last_write": vars(self.last_write) if self.last_write else None,
        }
        return json.dumps(document, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        document = json.loads(data)
        if document.get("format") != FORMAT_VERSION:
            raise ValueError(f"unknown manifest format {document.get('format')!r}")
        return cls(
            version=int(document["version"]),
            partition_column=document["partition_column"],
            current_schema=document["current_schema"],
            schemas=document["schemas"],
            days={
                day: DayVersion(
                    files=tuple(v["files"]),
                    rows=int(v["rows"]),
                    schema=v["schema"],
                    write_id=v["write_id"],
                )
                for day, v in document["days"].items()
            },
            retired=tuple(
                RetiredFiles(tuple(r["files"]), r["since"], r["write_id"])
                for r in document["retired"]
            ),
            last_write=WriteRecord(**document["last_write"]) if document["last_write"] else None,
        )


def describe_days(days: Iterable[str]) -> str:
    """``2024-03-01, 2024-03-02`` or ``40 days (2024-01-01 .. 2024-02-09)`` for messages."""
    days = sorted(days)
    if len(days) <= 5:
        return ", ".join(days)
    return f"{len(days)} days ({days[0]} .. {days[-1]})"
