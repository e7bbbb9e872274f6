"""The versions of an asset's Delta table, newest first: when, what (write, restore, VACUUM),
which Dagster run, which days, how many rows and files. The version numbers are what
'awo restore ASSET --version N' takes."""

from __future__ import annotations

import argparse

from ..settings import Settings

NAME = "history"
HELP = "show the versions of an asset's Delta table (runs, days, rows)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("asset", metavar="ASSET", help="asset key, e.g. labs/transformed/bookings")
    parser.add_argument(
        "--limit", type=int, default=20, metavar="N", help="newest N versions only (0: all)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..resources.java import require_java
    from .delta_tables import open_delta_table

    require_java()
    table = open_delta_table(settings, args.asset)
    versions = table.history(args.limit or None)
    print(f"{table.name}: Delta table at {table.root}, {len(versions)} version(s) shown")
    print(format_history(versions))
    return 0


def format_history(versions: list) -> str:  # list[TableVersion]
    """One line per version: version, time (UTC), operation, run, days, rows, files +/-."""
    header = ("version", "committed (UTC)", "operation", "run", "days", "rows", "files +/-")
    lines = [header]
    for v in versions:
        if v.restored_version is not None:
            days = f"restored version {v.restored_version}"
        elif v.first_day:
            days = f"{v.first_day}..{v.last_day} ({v.days})"
        else:
            days = "-"
        files = f"{_n(v.files_added)}/{_n(v.files_removed)}"
        lines.append(
            (
                str(v.version),
                v.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                v.operation,
                (v.run_id or "-")[:8],
                days,
                _n(v.rows),
                files,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = {0, 5}
    return "\n".join(
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    )


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)
