"""The quick start: sample landing files for N days, then the whole labs graph for those days in
ONE Dagster run (local Spark), recorded on the project's Dagster instance so it shows in the UI.

Existing landing files are kept unless --overwrite is given. With --storage s3 the same happens
against the S3 endpoint in AWS_ENDPOINT (buckets are created if missing). With --faults and more
than one day, the last day's bookings file is held back as a late file and that day is left out of
the run; the command says how to write it and materialize the day later.
"""

from __future__ import annotations

import argparse

from ..settings import Settings
from .arguments import add_format_argument, add_sample_data_arguments
from .days import sample_days

NAME = "demo"
HELP = "generate N days of sample data and materialize the labs graph for them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_sample_data_arguments(parser)
    add_format_argument(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.format:
        settings = settings.with_overrides(table_format=args.format)
    days = sample_days(args.start, args.days, settings)
    from ..resources.java import require_java

    require_java()
    if settings.uses_s3:
        from ..storage.s3 import ensure_buckets

        ensure_buckets(settings.s3, [settings.s3.warehouse_bucket, settings.s3.landing_bucket])
    from .runs import run_range
    from .sample_data import land_sample_data, late_file_line

    landed = land_sample_data(
        settings, days, args.bookings_per_day, args.seed, args.overwrite, args.faults
    )
    print(f"{days[0]}..{days[-1]}: {landed.describe(settings.landing_root)}")
    if landed.late:  # a day without all its files would fail the run: it waits for its file
        late_day = landed.late[1]
        days = [day for day in days if day != late_day]
        print(late_file_line(landed, args, run=True))
    return run_range(settings, days, trigger="awo demo", log_level=args.log_level)
