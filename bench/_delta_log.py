"""A Delta table's columns and rows per day from its ``_delta_log`` alone (no Spark), so the
benchmark can cross-check Delta tables with the CSV ones the way it counts CSV rows: by reading
what is stored. Replays the JSON commits (protocol: add/remove actions, ``stats.numRecords``)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote


def delta_rows_per_day(root: Path) -> tuple[list[str] | None, dict[str, int]]:
    """(data columns without the partition column, {day: rows}) of the newest version."""
    live: dict[str, tuple[str, int]] = {}
    columns: list[str] | None = None
    for commit in sorted((root / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "metaData" in action:
                meta = action["metaData"]
                partition = set(meta["partitionColumns"])
                fields = json.loads(meta["schemaString"])["fields"]
                columns = [f["name"] for f in fields if f["name"] not in partition]
            elif "add" in action:
                add = action["add"]
                day = next(iter(add["partitionValues"].values()))
                live[unquote(add["path"])] = (day, json.loads(add["stats"])["numRecords"])
            elif "remove" in action:
                live.pop(unquote(action["remove"]["path"]), None)
    rows: dict[str, int] = {}
    for day, count in live.values():
        rows[day] = rows.get(day, 0) + count
    return columns, rows
