"""Benchmark: one range run of the whole ``labs`` graph at scale, with the default settings.

``uv run python bench/scale.py`` (365 days x 100,000 bookings, 36.5 M bookings) runs ONE
``dg launch --assets group:labs --partition-range`` on the embedded default (local folder, local
Spark, the project's Dagster home) with the project's default Spark settings unless overridden
(``--driver-memory``, ``--shuffle-partitions``), and reports what sizing needs: wall time, the
peak resident memory of the run's Python process, of its Spark driver JVM and of its Python
workers (sampled from /proc every second), Spark's spill and largest task execution memory (the
event log), and the per-day file sizes of every table. Nothing is compared: it answers "does a
year fit, and with what headroom". Linux only (/proc).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import _profile
from _common import make_workdir, step, write_results
from backfill import (
    ASSETS,
    PROJECT_ROOT,
    bench_days,
    generate_landing,
    prepare_data_dir,
    range_command,
    variant_env,
)

from adventureworks_orchestration.settings import Settings

PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days to backfill (default 365)")
    parser.add_argument("--bookings-per-day", type=int, default=100_000, help="default 100000")
    parser.add_argument("--seed", type=int, default=42, help="data generator seed (default 42)")
    parser.add_argument("--workdir", help="an empty or new folder to work in (default: temporary)")
    parser.add_argument(
        "--driver-memory",
        default=Settings.spark_driver_memory,
        help=f"AWO_SPARK_DRIVER_MEMORY for the run (default: the project's, "
        f"{Settings.spark_driver_memory})",
    )
    parser.add_argument(
        "--shuffle-partitions",
        type=int,
        default=Settings.spark_shuffle_partitions,
        help=f"AWO_SPARK_SHUFFLE_PARTITIONS (default: the project's, "
        f"{Settings.spark_shuffle_partitions})",
    )
    return parser.parse_args(argv)


class MemorySampler:
    """Peak RSS of a process and its descendants by kind, sampled from /proc once a second."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks = {"python": 0, "spark_driver_jvm": 0, "python_workers": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            sample = {"python": 0, "spark_driver_jvm": 0, "python_workers": 0}
            for pid in [self.pid, *_descendants(self.pid)]:
                rss, command = _rss_and_command(pid)
                if pid == self.pid:
                    sample["python"] += rss
                elif command == "java":
                    sample["spark_driver_jvm"] += rss
                elif command.startswith("python"):
                    sample["python_workers"] += rss
            for kind, value in sample.items():
                self.peaks[kind] = max(self.peaks[kind], value)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _rss_and_command(pid: int) -> tuple[int, str]:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        command = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, IndexError, ValueError):
        return 0, ""
    return pages * PAGE, command


def spill(event_dir: Path) -> dict[str, float]:
    """Spark's spill summed over tasks, and the largest task's peak execution memory (MB)."""
    memory = disk = peak = 0
    for log in sorted(event_dir.rglob("events_*")):
        for line in log.read_text(errors="replace").splitlines():
            event = json.loads(line)
            if event.get("Event") != "SparkListenerTaskEnd":
                continue
            metrics = event.get("Task Metrics") or {}
            memory += metrics.get("Memory Bytes Spilled", 0)
            disk += metrics.get("Disk Bytes Spilled", 0)
            peak = max(peak, metrics.get("Peak Execution Memory", 0))
    mb = 1024 * 1024
    return {
        "memory_spilled_mb": round(memory / mb, 1),
        "disk_spilled_mb": round(disk / mb, 1),
        "largest_task_execution_memory_mb": round(peak / mb, 1),
    }


def file_sizes(warehouse: Path) -> dict[str, dict[str, float]]:
    """Per table: day folders and the smallest, median and largest day file (MB)."""
    result = {}
    for asset in ASSETS:
        sizes = [p.stat().st_size for p in (warehouse / asset).rglob("part-*.csv")]
        if not sizes:
            continue
        mb = 1024 * 1024
        result[asset] = {
            "files": len(sizes),
            "min_mb": round(min(sizes) / mb, 2),
            "median_mb": round(statistics.median(sizes) / mb, 2),
            "max_mb": round(max(sizes) / mb, 2),
            "total_mb": round(sum(sizes) / mb, 1),
        }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir, _ = make_workdir("scale", args.workdir)
    days = bench_days(args.days)
    landing = workdir / "landing"
    step(f"generating {args.days} x {args.bookings_per_day:,} bookings in {landing}")
    generate_landing(landing, days, args)
    data_dir = prepare_data_dir(workdir, "a", landing, dagster=True)
    events = data_dir / "spark-events"
    env = {
        **variant_env(
            data_dir,
            AWO_SPARK_DRIVER_MEMORY=args.driver_memory,
            AWO_SPARK_SHUFFLE_PARTITIONS=str(args.shuffle_partitions),
        ),
        **_profile.spark_event_log_env(events),
    }
    log = data_dir / "run.log"
    step(f"one run of {len(days)} days, driver memory {args.driver_memory}, "
         f"{args.shuffle_partitions} shuffle partitions (log: {log})")  # fmt: skip
    with log.open("w") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            range_command(days), cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        with MemorySampler(process.pid) as sampler:
            code = process.wait()
        seconds = time.perf_counter() - started
    mb = 1024 * 1024
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "days": len(days),
        "bookings_per_day": args.bookings_per_day,
        "driver_memory": args.driver_memory,
        "shuffle_partitions": args.shuffle_partitions,
        "exit_code": code,
        "seconds": round(seconds, 1),
        "peak_rss_mb": {kind: round(value / mb) for kind, value in sampler.peaks.items()},
        "spark": {**_profile.spark_events(events), **spill(events)},
        "files": file_sizes(data_dir / "warehouse"),
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(results, indent=2))
    print(f"results: {write_results('scale', results)}")
    if code != 0:
        print(f"the run failed (exit {code}); see {log}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
