"""What this project writes into each Delta commit (``userMetadata``: which write, which Dagster
run, which days) and the history read back from it, as ``awo history`` shows it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WRITER = "adventureworks-orchestration"


@dataclass(frozen=True)
class TableVersion:
    """One version of a table: when, what, by which run, for which days, how many rows/files."""

    version: int
    timestamp: dt.datetime
    operation: str
    run_id: str | None
    first_day: str | None
    last_day: str | None
    days: int | None
    rows: int | None
    files_added: int | None
    files_removed: int | None
    restored_version: int | None


def write_note(
    write_id: str, run_id: str | None, txn_app_id: str | None, days: Sequence[str]
) -> str:
    return json.dumps(
        {
            "writer": WRITER,
            "write_id": write_id,
            "run_id": run_id,
            "txn_app_id": txn_app_id,
            "first_day": days[0],
            "last_day": days[-1],
            "days": len(days),
        }
    )


def operation_note(operation: str, **details: object) -> str:
    return json.dumps({"writer": WRITER, "operation": operation, **details})


def parse_note(text: str | None) -> dict[str, Any]:
    """Our note as a dict; empty for commits of other writers or without one."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def table_version(row: Any) -> TableVersion:
    """A row of ``DeltaTable.history()`` (with ``millis``: its timestamp in ms since the epoch)."""
    note = parse_note(row["userMetadata"])
    metrics = row["operationMetrics"] or {}
    params = row["operationParameters"] or {}
    restored = params.get("version") if row["operation"] == "RESTORE" else None

    def metric(*names: str) -> int | None:
        return next((int(metrics[n]) for n in names if n in metrics), None)

    return TableVersion(
        version=row["version"],
        timestamp=dt.datetime.fromtimestamp(row["millis"] / 1000, dt.UTC),
        operation=row["operation"],
        run_id=note.get("run_id"),
        first_day=note.get("first_day"),
        last_day=note.get("last_day"),
        days=note.get("days"),
        rows=metric("numOutputRows"),
        files_added=metric("numFiles", "numAddedFiles", "numRestoredFiles"),
        files_removed=metric("numRemovedFiles", "numDeletedFiles"),
        restored_version=int(restored) if restored not in (None, "") else None,
    )
