"""List the landing rows the source assets rejected: per table and day, each with its file, line,
reason and the line as it landed. Reads the quarantine as stored (no Spark, no Dagster).

Without --day, a summary: the rows quarantined per table and day, and per reason. With --day
(and optionally --table), every row of that day.
"""

from __future__ import annotations

import argparse
from collections import Counter

from ..landing.paths import LANDING_TABLES
from ..settings import Settings
from .arguments import day

NAME = "quarantine"
HELP = "list quarantined landing rows and why (--table T, --day D)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", choices=LANDING_TABLES, help="one landing table (default: all)")
    parser.add_argument("--day", type=day, metavar="YYYY-MM-DD", help="list that day's rows")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..landing.quarantine import quarantine_counts, quarantined_rows

    tables = [args.table] if args.table else list(LANDING_TABLES)
    days = [args.day.isoformat()] if args.day else None
    counts = quarantine_counts(settings, tables, days)
    total = sum(sum(per_day.values()) for per_day in counts.values())
    where = f"{settings.warehouse_root.rstrip('/')}/quarantine"
    if not any(counts.values()):
        scope = f" for {days[0]}" if days else ""
        print(f"nothing ingested{scope} yet: no quarantine under {where}")
        return 0
    print(f"{total} quarantined landing row(s) under {where}")
    for table in tables:
        for stored_day, rows in counts[table].items():
            if not rows and not days:
                continue
            print(f"{table} {stored_day}: {rows} row(s)")
            if days:
                for row in quarantined_rows(settings, table, [stored_day]):
                    where_in_file = f"line {row.line}" + (
                        f"-{row.last_line}" if row.last_line != row.line else ""
                    )
                    print(f"  {row.source_file} {where_in_file}: {row.reason}")
                    print(f"    {row.raw}")
    if not days:
        reasons = Counter(
            row.reason_code
            for table in tables
            for row in quarantined_rows(settings, table, [d for d, n in counts[table].items() if n])
        )
        for code, rows in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
            print(f"  {code}: {rows}")
        print("awo quarantine --day YYYY-MM-DD lists a day's rows with their reasons")
    return 0
