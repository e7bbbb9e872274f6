"""Write sample landing files (members, facilities, bookings; one CSV per table per day).

Files that already exist are kept unless --overwrite is given. Nothing is materialized: the
landing sensor (when the UI runs), 'awo backfill' or 'dg launch' picks the files up. With --faults
and more than one day, the last day's bookings file is held back as a late file; the command says
how to write it later.

It also makes the project's Dagster home (<data dir>/dagster_home, or an exported DAGSTER_HOME)
and says how to point dg commands at it: without the project's dagster.yaml there, a dg launch
runs with Dagster's defaults (no concurrency pools, no batched event log, DEBUG logs). If that
fails, the landing files are still written and it says so in one line.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..settings import Settings
from .arguments import add_sample_data_arguments
from .days import sample_days
from .runs import dagster_home, instance_hint

NAME = "generate"
HELP = "write sample landing files (and make the Dagster home); no run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_sample_data_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .sample_data import land_sample_data, late_file_line

    days = sample_days(args.start, args.days, settings)
    landed = land_sample_data(
        settings, days, args.bookings_per_day, args.seed, args.overwrite, args.faults
    )
    print(f"{days[0]}..{days[-1]}: {landed.describe(settings.landing_root)}")
    late = late_file_line(landed, args)
    if late:
        print(late)
    try:
        home = dagster_home(settings)
    except Exception as error:  # noqa: BLE001 - the files are written; say what was not done
        print(f"awo: could not make the Dagster home: {error}", file=sys.stderr)
        return 0
    if os.environ.get("DAGSTER_HOME") != str(home):  # already pointed there: nothing to say
        print(instance_hint(home))
    return 0
