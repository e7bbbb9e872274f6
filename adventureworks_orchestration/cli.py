"""``awo``: the project's own commands (demo, generate, create-buckets, s3-server).

``awo demo`` is the laptop quick start: sample data into the landing area, then the whole ``labs``
graph for that range in ONE run on a Dagster instance under the project's data folder. With
``--storage s3`` the same happens against the S3 endpoint in the environment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from .partitions.daily import days_in_range, parse_day
from .resources.java import JavaNotFoundError, require_java
from .settings import Settings, settings_from_env
from .storage.s3 import ObjectStoreError, check_buckets, ensure_buckets, s3_client

log = logging.getLogger("awo")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s awo - %(message)s", "%Y-%m-%d %H:%M:%S")
        )
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    settings = settings_from_env()
    if args.data_dir:
        settings = settings.with_overrides(data_dir=Path(args.data_dir).absolute())
    if args.storage:
        settings = settings.with_overrides(storage=args.storage)
    try:
        return args.command(args, settings)
    except (JavaNotFoundError, ObjectStoreError) as exc:
        print(f"awo: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="awo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="data folder (default: $AWO_DATA_DIR or ./data)")
    parser.add_argument(
        "--storage",
        choices=["local", "s3"],
        help="where data lives (default: $AWO_STORAGE or local)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="generate N days and materialize the labs graph")
    _add_range_arguments(demo)
    demo.set_defaults(command=run_demo)

    generate = commands.add_parser("generate", help="write sample landing files only")
    _add_range_arguments(generate)
    generate.set_defaults(command=run_generate)

    buckets = commands.add_parser("create-buckets", help="create the S3 buckets the settings name")
    buckets.set_defaults(command=run_create_buckets)

    server = commands.add_parser(
        "s3-server", help="run a SeaweedFS S3 server on 127.0.0.1 for trying the S3 storage"
    )
    server.add_argument("--port", type=int, default=8333)
    server.set_defaults(command=run_s3_server)
    return parser


def _add_range_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=7, help="number of days (default 7)")
    parser.add_argument(
        "--start", help="first day, YYYY-MM-DD (default: the partitions' start date)"
    )
    parser.add_argument("--bookings-per-day", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)


def _days(args: argparse.Namespace, settings: Settings) -> list[str]:
    if args.days < 1:
        raise SystemExit("awo: --days must be at least 1")
    first = parse_day(args.start or settings.partitions_start)
    if first < parse_day(settings.partitions_start):
        raise SystemExit(
            f"awo: --start {first} is before the partitions' start {settings.partitions_start}"
        )
    last = first + dt.timedelta(days=args.days - 1)
    return days_in_range(first, last)


def run_generate(args: argparse.Namespace, settings: Settings) -> int:
    from .datagen import GeneratorConfig, LandingWriter, S3LandingSink

    days = _days(args, settings)
    config = GeneratorConfig(bookings_per_day=args.bookings_per_day, seed=args.seed)
    if settings.uses_s3:
        check_buckets(settings.s3, [settings.s3.landing_bucket])
        writer = LandingWriter(S3LandingSink(s3_client(settings.s3), settings.s3.landing_bucket))
    else:
        writer = LandingWriter.local(settings.landing_dir)
    files = writer.write(days, config, progress=log.info)
    print(f"wrote {len(files)} landing files for {days[0]}..{days[-1]} to {settings.landing_root}")
    return 0


def run_create_buckets(args: argparse.Namespace, settings: Settings) -> int:
    buckets = [settings.s3.warehouse_bucket, settings.s3.landing_bucket]
    created = ensure_buckets(settings.s3, buckets)
    check_buckets(settings.s3, buckets)
    print(f"buckets at {settings.s3.endpoint}: {', '.join(buckets)} (created: {created or 'none'})")
    return 0


def run_s3_server(args: argparse.Namespace, settings: Settings) -> int:
    from .devtools.s3_server import start_s3_server

    if not (settings.s3.access_key_id and settings.s3.secret_access_key):
        raise SystemExit("awo: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the server")
    server = start_s3_server(
        settings.data_dir / "seaweedfs",
        settings.s3.access_key_id,
        settings.s3.secret_access_key,
        s3_port=args.port,
    )
    print(f"SeaweedFS S3 at {server.endpoint} (data in {server.data_dir}); Ctrl-C stops it.")
    print(f"  export AWS_ENDPOINT={server.endpoint} AWO_STORAGE=s3", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill PID` stops weed as well
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    require_java()
    days = _days(args, settings)
    if settings.uses_s3:
        ensure_buckets(settings.s3, [settings.s3.warehouse_bucket, settings.s3.landing_bucket])
    run_generate(args, settings)
    from .dagster_home import ensure_dagster_home

    ensure_dagster_home(Path(os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))))

    import dagster as dg

    from .constants import SAMPLE_JOB_NAME
    from .definitions import build_definitions

    log.info(f"materializing group labs for {days[0]}..{days[-1]} in one run")
    started = time.monotonic()
    job = build_definitions(settings).resolve_job_def(SAMPLE_JOB_NAME)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            tags={
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
                "awo/trigger": "awo demo",
            },
            raise_on_error=False,
        )
    if not result.success:
        print(f"awo: run {result.run_id} failed; see the log above", file=sys.stderr)
        return 1
    print(
        f"\nrun {result.run_id} succeeded in {time.monotonic() - started:.1f}s "
        f"(Dagster instance: {os.environ['DAGSTER_HOME']})\n"
    )
    print(_summary(result.get_asset_materialization_events()))
    return 0


def _summary(events: Sequence) -> str:
    """asset | days | rows | path, from the materialization events' metadata."""
    days: dict[str, set[str]] = defaultdict(set)
    rows: dict[str, int] = defaultdict(int)
    paths: dict[str, str] = {}
    for event in events:
        materialization = event.materialization
        key = materialization.asset_key.to_user_string()
        days[key].add(materialization.partition)
        rows[key] += int(materialization.metadata["dagster/row_count"].value)
        paths[key] = str(materialization.metadata["path"].value)
    header = ("asset", "days", "rows", "path")
    lines = [(key, str(len(days[key])), str(rows[key]), paths[key]) for key in sorted(days)]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        for row in [header, *lines]
    )


__all__ = ["main"]
