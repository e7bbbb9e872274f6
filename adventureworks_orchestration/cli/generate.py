"""Write sample landing files (members, facilities, bookings; one CSV per table per day).

Files that already exist are kept unless --overwrite is given. Nothing is materialized: the
landing sensor (when the UI runs) or 'awo backfill' picks the files up.
"""

from __future__ import annotations

import argparse

from ..settings import Settings
from .arguments import add_sample_data_arguments
from .days import sample_days

NAME = "generate"
HELP = "write sample landing files only"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_sample_data_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .sample_data import land_sample_data

    days = sample_days(args.start, args.days, settings)
    landed = land_sample_data(
        settings, days, args.bookings_per_day, args.seed, args.overwrite, args.faults
    )
    print(f"{days[0]}..{days[-1]}: {landed.describe(settings.landing_root)}")
    return 0
