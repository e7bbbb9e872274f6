"""Benchmark: a range backfill of the ``labs`` graph in one run, vs one run per day, vs bare Spark.

Three ways to compute the same tables for D days, and one floor (f), each timed as the wall
clock of a subprocess (so each pays for its own interpreter and Spark JVM start, like a real run
does):

a) the platform: ``dg launch --assets group:labs --partition-range FIRST...LAST``, ONE run;
b) Dagster's default without a single-run backfill policy: one run per day, each its own process
   and JVM. Only the first K days are run (sequentially) and the per-day mean is extrapolated;
c) ``bench/bare_pyspark.py``: the same reads, transforms and writes in one plain Spark session;
f) the platform's Dagster layer alone: ``bench/dagster_floor.py``, its own definitions with step
   bodies that do no data work and start no Spark, launched as a is (same range, one run, a
   Dagster home made the same way), ``--floor-runs`` times (the median counts: f is short and
   noisy); the bench checks that each f ran a's steps and checks and stored one materialization
   per asset and day, as a did;
d) with ``--spark-cluster``: a again, on a Spark standalone cluster (one master, one worker with
   ``--cluster-cores`` cores) started on 127.0.0.1 from pyspark's own ``spark-class``, the run
   taking all of them (``AWO_SPARK_CORES_MAX``), instead of ``local[2]``.

a/c is what the platform costs over hand-written Spark; b/a is what single-run backfills save;
(f + c's Spark session) / c, the "serial floor", is the a/c of a run that did a's Dagster
bookkeeping and then exactly c's Spark work, one after the other (f holds one interpreter start and
the imports, as c does; starting Spark while Dagster loads, or storing fewer events, could go
below it);
d/a is what running on a standalone cluster on the same machine costs or saves over local mode.
With ``--format delta`` a and b store every asset as Delta, and a is run a second time with CSV
(a_csv) as the baseline of the same run: a/a_csv is what Delta costs over CSV for the whole graph;
``bench/read_day.py`` then reads one day of transformed bookings from both warehouses.
a/c and the cost per asset-day are the targets of the performance work: for tiny days
(``--days 365 --bookings-per-day 20``) the marginal cost of one more day is estimated as
(a - b's mean one-day run) / (days - 1) / assets, i.e. what the range run costs beyond a run of
one day. ``--profile`` adds one more run of a under cProfile with Spark's event log and prints
where its time went (``bench/_profile.py``); that run is never used in a ratio.
The row counts per asset and day of a and c (and of b for its K days) must agree, and f must
have done a's bookkeeping, or the script says so loudly and exits non-zero (after writing the
results, under ``row_count_mismatches``). Results go to ``bench/results/backfill-<timestamp>.json``.

Run: ``uv run python bench/backfill.py [--days 90] [--bookings-per-day 2000] [--per-day-runs 3]
[--floor-runs 3] [--spark-cluster [--cluster-cores 2]] [--format csv|delta] [--profile]``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import _profile
from _common import make_workdir, step, write_results
from _delta_log import delta_rows_per_day

from adventureworks_orchestration.dagster_home import ensure_dagster_home
from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter
from adventureworks_orchestration.devtools.spark_cluster import start_spark_cluster
from adventureworks_orchestration.partitions.daily import days_in_range, parse_day
from adventureworks_orchestration.settings import settings_from_env

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = Path(__file__).resolve().parent
BARE_SCRIPT = BENCH_DIR / "bare_pyspark.py"
FLOOR_DEFINITIONS = BENCH_DIR / "dagster_floor.py"
READ_DAY_SCRIPT = BENCH_DIR / "read_day.py"
READ_ASSET, READ_COLUMN = "labs/transformed/bookings", "booking_date"
SELECTION = "group:labs"
ASSETS = (
    "labs/source/bookings",
    "labs/source/facilities",
    "labs/source/members",
    "labs/transformed/members",
    "labs/transformed/facilities",
    "labs/transformed/bookings",
    "labs/reports/revenue_per_facility",
    "labs/reports/bookings_per_member",
)
# Keeps the Dagster runs from writing telemetry; it is not part of the work being measured.
NO_TELEMETRY = "telemetry:\n  enabled: false\n"
LOG_TAIL_LINES = 40


class BenchmarkError(RuntimeError):
    """A variant could not run; the message says which and shows the end of its log."""


@dataclass(frozen=True)
class Timed:
    """One subprocess: what was run, for how long, and where its output went."""

    command: list[str]
    seconds: float
    log: Path

    def as_json(self) -> dict[str, object]:
        return {"command": shlex.join(self.command), "seconds": round(self.seconds, 2)}


@dataclass(frozen=True)
class Table:
    """One asset as stored: its CSV header and its data rows per day folder."""

    header: list[str] | None
    rows_per_day: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_day.values())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90, help="days to backfill (default 90)")
    parser.add_argument("--bookings-per-day", type=int, default=2000, help="default 2000")
    parser.add_argument(
        "--per-day-runs", type=int, default=3, help="days actually run one run each (default 3)"
    )
    parser.add_argument("--seed", type=int, default=42, help="data generator seed (default 42)")
    parser.add_argument(
        "--workdir", help="an empty or new folder to work in (default: a temporary folder)"
    )
    parser.add_argument(
        "--spark-cluster",
        action="store_true",
        help="also run a on a standalone Spark cluster on 127.0.0.1 (variant d)",
    )
    parser.add_argument(
        "--cluster-cores", type=int, default=2, help="the cluster worker's cores (default 2)"
    )
    parser.add_argument(
        "--format", choices=["csv", "delta"], default="csv", help="table format of a and b"
    )
    parser.add_argument(
        "--floor-runs",
        type=int,
        default=3,
        help="runs of f, the shortest variant and the noisiest; the median counts (default 3)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run a once more under cProfile and Spark's event log; print where time went",
    )
    args = parser.parse_args(argv)
    if args.days < 1 or args.bookings_per_day < 0 or args.per_day_runs < 1 or args.floor_runs < 1:
        parser.error(
            "--days, --per-day-runs and --floor-runs must be >= 1, --bookings-per-day >= 0"
        )
    if args.cluster_cores < 1:
        parser.error("--cluster-cores must be >= 1")
    args.per_day_runs = min(args.per_day_runs, args.days)
    return args


def bench_days(count: int) -> list[str]:
    """The first ``count`` partitions, from the partitions' start date the runs will use."""
    first = parse_day(settings_from_env().partitions_start)
    return days_in_range(first, first + dt.timedelta(days=count - 1))


def generate_landing(landing: Path, days: Sequence[str], args: argparse.Namespace) -> int:
    """Writes the landing files once; every variant gets a copy of exactly these files."""
    config = GeneratorConfig(bookings_per_day=args.bookings_per_day, seed=args.seed)
    files = LandingWriter.local(str(landing)).write(days, config, progress=lambda _: None)
    return len(files)


def prepare_data_dir(workdir: Path, name: str, landing: Path, dagster: bool) -> Path:
    """A fresh data folder with its own copy of the landing files (and a Dagster home as ``awo``
    makes it, telemetry off)."""
    data_dir = workdir / name
    shutil.copytree(landing, data_dir / "landing")
    if dagster:
        config = ensure_dagster_home(data_dir / "dagster_home") / "dagster.yaml"
        config.write_text(config.read_text() + NO_TELEMETRY)
    return data_dir


def variant_env(data_dir: Path, table_format: str = "csv", **settings: str) -> dict[str, str]:
    """The environment of a variant's process: its own data folder, local storage."""
    return {
        **os.environ,
        "AWO_DATA_DIR": str(data_dir),
        "AWO_STORAGE": "local",
        "AWO_TABLE_FORMAT": table_format,
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        **settings,
    }


def dg_executable() -> str:
    """``dg`` from this interpreter's environment (the project's venv under ``uv run``)."""
    beside_python = Path(sys.executable).parent / "dg"
    found = str(beside_python) if beside_python.exists() else shutil.which("dg")
    if not found:
        raise SystemExit("backfill.py: no `dg` found; run me with `uv run python bench/...`")
    return found


def run_timed(command: list[str], env: Mapping[str, str], log: Path) -> Timed:
    """Runs ``command`` from the project root (where ``dg`` finds the project); wall clock."""
    with log.open("w") as sink:
        started = time.perf_counter()
        completed = subprocess.run(
            command, cwd=PROJECT_ROOT, env=dict(env), stdout=sink, stderr=subprocess.STDOUT
        )
        seconds = time.perf_counter() - started
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
        raise BenchmarkError(
            f"`{shlex.join(command)}` exited with {completed.returncode} after {seconds:.1f}s; "
            f"end of {log}:\n{tail}"
        )
    return Timed(command=command, seconds=seconds, log=log)


def range_command(days: Sequence[str]) -> list[str]:
    return [
        dg_executable(),
        "launch",
        "--assets",
        SELECTION,
        "--partition-range",
        f"{days[0]}...{days[-1]}",
    ]


def run_single_range(
    data_dir: Path, days: Sequence[str], table_format: str = "csv", **settings: str
) -> Timed:
    """(a) the whole range in ONE Dagster run (the assets' single-run backfill policy)."""
    env = variant_env(data_dir, table_format, **settings)
    return run_timed(range_command(days), env, data_dir / "run.log")


def profile_single_range(data_dir: Path, days: Sequence[str], table_format: str) -> dict:
    """a once more, under cProfile and with Spark's event log: where the time goes."""
    stats, events = data_dir / "profile.pstats", data_dir / "spark-events"
    command = _profile.profiled_command(range_command(days), sys.executable, stats)
    env = {**variant_env(data_dir, table_format), **_profile.spark_event_log_env(events)}
    run_timed(command, env, data_dir / "run.log")
    return _profile.summarise(stats, events, days=len(days), assets=len(ASSETS))


def run_on_cluster(workdir: Path, data_dir: Path, days: Sequence[str], cores: int) -> Timed:
    """(d) a, on a standalone cluster started for it (not timed) and stopped after it."""
    cluster = start_spark_cluster(workdir / "spark-cluster", cores=cores, memory="2g")
    try:
        return run_single_range(
            data_dir,
            days,
            AWO_SPARK_MASTER=cluster.master_url,
            AWO_SPARK_DRIVER_HOST="127.0.0.1",
            AWO_SPARK_CORES_MAX=str(cores),
        )
    finally:
        cluster.stop()


def run_per_day(data_dir: Path, days: Sequence[str], table_format: str = "csv") -> list[Timed]:
    """(b) one Dagster run per day, one after the other, into the same warehouse."""
    return [
        run_timed(
            [dg_executable(), "launch", "--assets", SELECTION, "--partition", day],
            variant_env(data_dir, table_format),
            data_dir / f"run-{day}.log",
        )
        for day in days
    ]


def run_bare(data_dir: Path, days: Sequence[str]) -> tuple[Timed, dict[str, object]]:
    """(c) the bare PySpark script; also returns its own split of the time (JVM start etc.)."""
    timings = data_dir / "timings.json"
    command = [sys.executable, str(BARE_SCRIPT), "--data-dir", str(data_dir)]
    command += ["--first", days[0], "--last", days[-1], "--timings-json", str(timings)]
    timed = run_timed(command, variant_env(data_dir), data_dir / "run.log")
    return timed, json.loads(timings.read_text())


def run_dagster_floor(data_dir: Path, days: Sequence[str], table_format: str) -> Timed:
    """(f) The platform's Dagster layer alone: the same range in one run of its graph, no data
    work (``bench/dagster_floor.py``), launched as a is but with ``-f FILE``."""
    command = range_command(days)
    command[2:2] = ["-f", str(FLOOR_DEFINITIONS)]
    return run_timed(command, variant_env(data_dir, table_format), data_dir / "run.log")


def median_run(runs: Sequence[Timed]) -> Timed:
    """The run of median time (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run.seconds)[(len(runs) - 1) // 2]


@dataclass(frozen=True)
class RunShape:
    """What one Dagster run did as Dagster saw it: its steps, the checks it evaluated, and how
    many materializations it stored per asset and day."""

    steps: frozenset[str]
    checks: frozenset[str]
    materializations: Counter

    @classmethod
    def of_only_run(cls, dagster_home: Path) -> RunShape:
        from dagster import DagsterEventType, DagsterInstance

        wanted = {
            DagsterEventType.STEP_SUCCESS,
            DagsterEventType.ASSET_CHECK_EVALUATION,
            DagsterEventType.ASSET_MATERIALIZATION,
        }
        with DagsterInstance.from_config(str(dagster_home)) as instance:
            runs = instance.get_runs()
            if len(runs) != 1:
                raise BenchmarkError(f"{dagster_home} holds {len(runs)} runs, not one")
            records = instance.get_records_for_run(runs[0].run_id, of_type=wanted).records
        events = [r.event_log_entry.dagster_event for r in records]
        return cls(
            steps=frozenset(
                e.step_key for e in events if e.event_type == DagsterEventType.STEP_SUCCESS
            ),
            checks=frozenset(
                e.asset_check_evaluation_data.asset_check_key.to_user_string()
                for e in events
                if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
            ),
            materializations=Counter(
                (e.asset_key.to_user_string(), e.partition)
                for e in events
                if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
            ),
        )


def check_floor(floor: RunShape, platform: RunShape, days: Sequence[str]) -> list[str]:
    """f must have done a's bookkeeping: the same steps, the same checks evaluated, and one
    materialization per asset and day, as a."""
    problems = []
    if floor.steps != platform.steps:
        problems.append(f"f's steps {sorted(floor.steps)} are not a's {sorted(platform.steps)}")
    for name, extra in (
        ("f", floor.checks - platform.checks),
        ("a", platform.checks - floor.checks),
    ):
        if extra:
            problems.append(f"only {name} evaluated the checks {sorted(extra)}")
    once = Counter({(asset, day): 1 for asset in ASSETS for day in days})
    for name, shape in (("f", floor), ("a", platform)):
        if shape.materializations != once:
            problems.append(f"{name} did not store one materialization per asset and day")
    return problems


def read_tables(warehouse: Path) -> dict[str, Table]:
    """Every expected asset's header and rows per day, counted from the CSV part files.

    Counting with the csv module (not lines) keeps quoted fields with newlines as one row.
    """
    return {asset: read_table(warehouse / asset) for asset in ASSETS}


def read_table(root: Path) -> Table:
    """A Delta table from its log; a CSV one from its files (a fresh warehouse keeps one write
    folder per day, ``<column>=<day>/write=<id>/``; the bare script writes none)."""
    if (root / "_delta_log").is_dir():
        columns, counts = delta_rows_per_day(root)
        return Table(header=columns, rows_per_day=counts)
    header: list[str] | None = None
    rows_per_day: dict[str, int] = {}
    for day_dir in sorted(path for path in root.glob("*=*") if path.is_dir()):
        rows = 0
        for part in sorted(day_dir.rglob("part-*")):
            with part.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                first = next(reader, None)
                if first is None:
                    continue
                header = header or first
                rows += sum(1 for _ in reader)
        rows_per_day[day_dir.name.split("=", 1)[1]] = rows
    return Table(header=header, rows_per_day=rows_per_day)


def compare(
    name: str, tables: Mapping[str, Table], reference: Mapping[str, Table], days: Sequence[str]
) -> list[str]:
    """What differs between ``tables`` and the single-run ``reference`` (a) over ``days``."""
    problems = []
    for asset in ASSETS:
        ours, theirs = tables[asset], reference[asset]
        if ours.header != theirs.header:
            problems.append(f"{name} {asset}: columns {ours.header} != a's {theirs.header}")
        for day in days:
            got, want = ours.rows_per_day.get(day), theirs.rows_per_day.get(day)
            if got != want:
                problems.append(f"{name} {asset} {day}: {got} rows, a has {want}")
    return problems


def check_complete(tables: Mapping[str, Table], days: Sequence[str]) -> list[str]:
    """a must have rows in every day of the range, or agreeing with it would prove nothing."""
    return [
        f"a {asset}: has days {len(table.rows_per_day)}/{len(days)}, {table.total_rows} rows"
        for asset, table in tables.items()
        if sorted(table.rows_per_day) != list(days) or table.total_rows == 0
    ]


def versions() -> dict[str, str]:
    packages = ("dagster", "dagster-dg-cli", "dagster-pyspark", "pyspark")
    return {name: metadata.version(name) for name in packages}


def reproduce_command(args: argparse.Namespace) -> str:
    """The invocation with every parameter spelled out, for the results file."""
    command = ["uv", "run", "python", "bench/backfill.py", "--days", str(args.days)]
    command += ["--bookings-per-day", str(args.bookings_per_day)]
    command += ["--per-day-runs", str(args.per_day_runs), "--seed", str(args.seed)]
    command += ["--floor-runs", str(args.floor_runs)]
    if args.spark_cluster:
        command += ["--spark-cluster", "--cluster-cores", str(args.cluster_cores)]
    return shlex.join(command + ["--format", args.format] + (["--profile"] if args.profile else []))


def summarise(
    args: argparse.Namespace,
    days: Sequence[str],
    single: Timed,
    per_day: Sequence[Timed],
    bare: Timed,
    bare_timings: Mapping[str, object],
    tables: Mapping[str, Table],
    floors: Sequence[Timed],
    cluster: Timed | None = None,
) -> dict[str, object]:
    """Everything worth keeping from one benchmark, as JSON-ready data."""
    floor = median_run(floors)
    per_day_mean = sum(run.seconds for run in per_day) / len(per_day)
    per_day_extrapolated = per_day_mean * len(days)
    results = {
        "benchmark": "backfill",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "reproduce": reproduce_command(args),
        "parameters": {
            "days": len(days),
            "first_day": days[0],
            "last_day": days[-1],
            "bookings_per_day": args.bookings_per_day,
            "per_day_runs": len(per_day),
            "seed": args.seed,
            "selection": SELECTION,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "versions": versions(),
        "a_single_run": {
            **single.as_json(),
            "seconds_per_day": round(single.seconds / len(days), 3),
            "seconds_per_asset_day": round(single.seconds / (len(days) * len(ASSETS)), 4),
            "marginal_seconds_per_asset_day": marginal_per_asset_day(single, per_day_mean, days),
        },
        "b_run_per_day": {
            "runs": [run.as_json() for run in per_day],
            "measured_seconds": round(sum(run.seconds for run in per_day), 2),
            "mean_seconds_per_day": round(per_day_mean, 2),
            "extrapolated_seconds": round(per_day_extrapolated, 1),
        },
        "c_bare_pyspark": {
            **bare.as_json(),
            "seconds_per_asset_day": round(bare.seconds / (len(days) * len(ASSETS)), 4),
            "in_script": bare_timings,
        },
        "f_dagster_layer": {
            **floor.as_json(),
            "seconds_per_asset_day": round(floor.seconds / (len(days) * len(ASSETS)), 4),
            "runs_seconds": [round(run.seconds, 2) for run in floors],
        },
        "ratios": {
            "a_over_c": round(single.seconds / bare.seconds, 2),
            "b_over_a": round(per_day_extrapolated / single.seconds, 2),
            "serial_floor_a_over_c": serial_floor_a_over_c(floor, bare, bare_timings),
        },
        "rows": {asset: table.total_rows for asset, table in tables.items()},
    }
    if cluster is not None:
        results["d_standalone_cluster"] = {
            **cluster.as_json(),
            "seconds_per_day": round(cluster.seconds / len(days), 3),
        }
        results["ratios"]["d_over_a"] = round(cluster.seconds / single.seconds, 2)
    return results


def serial_floor_a_over_c(floor: Timed, bare: Timed, bare_timings: Mapping[str, object]) -> float:
    """a/c of a run that did a's Dagster bookkeeping (f: interpreter, imports, definitions, run,
    events) and then exactly c's Spark session (start, work, stop), one after the other."""
    return round((floor.seconds + float(bare_timings["spark_session_seconds"])) / bare.seconds, 2)


def marginal_per_asset_day(single: Timed, one_day_run: float, days: Sequence[str]) -> float | None:
    """What a costs per asset for each day beyond the first: (a - a one-day run) spread over
    the other days and the assets (None for a one-day range)."""
    if len(days) < 2:
        return None
    return round((single.seconds - one_day_run) / ((len(days) - 1) * len(ASSETS)), 4)


def render(results: Mapping[str, object]) -> str:
    """The human summary: parameters, the timing table and the ratios."""
    params, a = results["parameters"], results["a_single_run"]
    b, c, ratios = results["b_run_per_day"], results["c_bare_pyspark"], results["ratios"]
    f = results["f_dagster_layer"]
    days, runs, mean = params["days"], params["per_day_runs"], b["mean_seconds_per_day"]
    rows = [
        ("a  one run for the whole range", 1, a["seconds"], a["seconds"] / days),
        (f"b  one run per day, measured ({runs} days)", runs, b["measured_seconds"], mean),
        (f"b  extrapolated to {days} days", days, b["extrapolated_seconds"], mean),
        ("c  bare PySpark, one session", 1, c["seconds"], c["seconds"] / days),
        (
            "f  a's Dagster layer, no data work (median)",
            len(f["runs_seconds"]),
            f["seconds"],
            f["seconds"] / days,
        ),
    ]
    d = results.get("d_standalone_cluster")
    if d:
        rows.append(("d  a on a standalone cluster", 1, d["seconds"], d["seconds"] / days))
    table = format_table(("variant", "runs", "seconds", "s/day"), rows)
    return "\n".join(
        [
            f"command:    {shlex.join(results['argv'])}",
            f"reproduce:  {results['reproduce']}",
            f"parameters: {params['days']} days {params['first_day']}..{params['last_day']}, "
            f"{params['bookings_per_day']} bookings/day, seed {params['seed']}, "
            f"{results['machine']['cpus']} CPUs",
            "",
            table,
            "",
            f"a/c = {ratios['a_over_c']:.2f}  (the platform's time over bare PySpark)",
            f"b/a = {ratios['b_over_a']:.2f}  (one run per day, extrapolated, over one run)",
            f"serial floor a/c = {ratios['serial_floor_a_over_c']:.2f}  ((f + c's Spark "
            "session) / c: a's Dagster bookkeeping, then c's Spark work)",
            *render_per_asset_day(a, c),
            *render_delta(results.get("delta_vs_csv")),
        ]
        + ([f"d/a = {ratios['d_over_a']:.2f}  (standalone cluster over local[2])"] if d else [])
    )


def render_per_asset_day(a: Mapping[str, object], c: Mapping[str, object]) -> list[str]:
    marginal = a["marginal_seconds_per_asset_day"]
    return [
        f"per asset-day: a {1000 * a['seconds_per_asset_day']:.1f} ms, "
        f"c {1000 * c['seconds_per_asset_day']:.1f} ms "
        f"(whole runs / (days x {len(ASSETS)} assets))",
        *(
            [
                f"a's marginal cost of one more day: {1000 * marginal:.1f} ms per asset "
                "((a - b's one-day run) / (days - 1) / assets)"
            ]
            if marginal is not None
            else []
        ),
    ]


def render_delta(delta: Mapping[str, object] | None) -> list[str]:
    if not delta:
        return []
    reads = delta["read_one_day"]
    csv, dl = reads["csv"], reads["delta"]
    return [
        f"a (Delta) / a_csv = {delta['a_delta_over_a_csv']:.2f}  "
        f"({delta['a_delta_seconds']:.1f}s / {delta['a_csv_seconds']:.1f}s, whole graph)",
        f"read {reads['asset']} {reads['day']}: Delta {dl['median_seconds']:.3f}s "
        f"({dl['files_opened']} file(s)), CSV {csv['median_seconds']:.3f}s "
        f"({csv['files_opened']} file(s)), median of {len(csv['seconds'])}; "
        f"Delta/CSV = {delta['read_delta_over_csv']:.2f}",
    ]


def format_table(header: Sequence[str], rows: Sequence[tuple[str, int, float, float]]) -> str:
    """Left-aligned labels, right-aligned numbers (seconds to 0.1, per day to 0.01)."""
    cells = [list(header)]
    cells += [
        [label, str(runs), f"{secs:.1f}", f"{per_day:.2f}"] for label, runs, secs, per_day in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )


def run_benchmark(args: argparse.Namespace, workdir: Path) -> tuple[dict[str, object], list[str]]:
    """Generate once, run f, a, b and c on copies of the same landing files, then cross-check."""
    days = bench_days(args.days)
    landing = workdir / "landing"
    step(f"generating {len(days)} days x {args.bookings_per_day} bookings in {landing}")
    step(f"wrote {generate_landing(landing, days, args)} landing files")

    step(f"f: the platform's Dagster layer alone, no data work, {args.floor_runs} runs")
    f_dirs = [
        prepare_data_dir(workdir, f"f{n}", landing, dagster=True) for n in range(args.floor_runs)
    ]
    floors = [run_dagster_floor(f_dir, days, args.format) for f_dir in f_dirs]
    step("f: " + ", ".join(f"{run.seconds:.1f}s" for run in floors) + " (the median counts)")

    a_dir = prepare_data_dir(workdir, "a", landing, dagster=True)
    step(f"a: one run for {days[0]}...{days[-1]} ({args.format})")
    single = run_single_range(a_dir, days, args.format)
    step(f"a: {single.seconds:.1f}s")
    if args.format == "delta":
        a_csv_dir = prepare_data_dir(workdir, "a_csv", landing, dagster=True)
        step("a_csv: the same run with CSV, the baseline of Delta")
        single_csv = run_single_range(a_csv_dir, days, "csv")
        step(f"a_csv: {single_csv.seconds:.1f}s")

    b_dir = prepare_data_dir(workdir, "b", landing, dagster=True)
    step(f"b: one run per day for the first {args.per_day_runs} day(s)")
    per_day = run_per_day(b_dir, days[: args.per_day_runs], args.format)
    step("b: " + ", ".join(f"{run.seconds:.1f}s" for run in per_day))

    c_dir = prepare_data_dir(workdir, "c", landing, dagster=False)
    step("c: bare PySpark")
    bare, bare_timings = run_bare(c_dir, days)
    step(f"c: {bare.seconds:.1f}s")

    profile = None
    if args.profile:
        p_dir = prepare_data_dir(workdir, "a_profile", landing, dagster=True)
        step("a under cProfile with Spark's event log (not timed)")
        profile = profile_single_range(p_dir, days, args.format)

    cluster = None
    if args.spark_cluster:
        d_dir = prepare_data_dir(workdir, "d", landing, dagster=True)
        step(f"d: one run for {days[0]}...{days[-1]} on a standalone cluster")
        cluster = run_on_cluster(workdir, d_dir, days, args.cluster_cores)
        step(f"d: {cluster.seconds:.1f}s")

    a_tables = read_tables(a_dir / "warehouse")
    problems = check_complete(a_tables, days)
    a_shape = RunShape.of_only_run(a_dir / "dagster_home")
    for f_dir in f_dirs:
        problems += check_floor(RunShape.of_only_run(f_dir / "dagster_home"), a_shape, days)
        if (f_dir / "warehouse").exists():
            problems.append(f"f wrote a warehouse folder in {f_dir}")
    problems += compare("c", read_tables(c_dir / "warehouse"), a_tables, days)
    problems += compare("b", read_tables(b_dir / "warehouse"), a_tables, days[: args.per_day_runs])
    if cluster is not None:
        problems += compare("d", read_tables(d_dir / "warehouse"), a_tables, days)
    results = summarise(
        args, days, single, per_day, bare, bare_timings, a_tables, floors, cluster=cluster
    )
    if args.format == "delta":
        problems += compare("a_csv", read_tables(a_csv_dir / "warehouse"), a_tables, days)
        results["delta_vs_csv"] = delta_vs_csv(single, single_csv, a_dir, a_csv_dir, days)
    if profile is not None:
        problems += compare("a_profile", read_tables(p_dir / "warehouse"), a_tables, days)
        results["profile"] = profile
    results["workdir"] = str(workdir)
    results["row_count_mismatches"] = problems
    return results, problems


def delta_vs_csv(
    single: Timed, single_csv: Timed, a_dir: Path, a_csv_dir: Path, days: Sequence[str]
) -> dict[str, object]:
    """a (Delta) over a_csv for the whole graph, and one day of transformed bookings read from
    each warehouse by ``bench/read_day.py`` (alternating reads in one Spark session)."""
    day = days[len(days) // 2]
    out = a_dir / "read_day.json"
    command = [sys.executable, str(READ_DAY_SCRIPT), "--column", READ_COLUMN, "--day", day]
    command += ["--csv-root", str(a_csv_dir / "warehouse" / READ_ASSET)]
    command += ["--delta-root", str(a_dir / "warehouse" / READ_ASSET), "--json", str(out)]
    step(f"reading {READ_ASSET} {day} (1 day of {len(days)}) as CSV and as Delta")
    run_timed(command, variant_env(a_dir, "delta"), a_dir / "read_day.log")
    reads = json.loads(out.read_text())
    return {
        "a_csv_seconds": round(single_csv.seconds, 2),
        "a_delta_seconds": round(single.seconds, 2),
        "a_delta_over_a_csv": round(single.seconds / single_csv.seconds, 2),
        "read_one_day": {"asset": READ_ASSET, "day": day, **reads},
        "read_delta_over_csv": round(
            reads["delta"]["median_seconds"] / reads["csv"]["median_seconds"], 2
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir, temporary = make_workdir("backfill", args.workdir)
    try:
        results, problems = run_benchmark(args, workdir)
    except BenchmarkError as exc:
        print(f"\nBENCHMARK FAILED: {exc}\n(workdir kept: {workdir})", file=sys.stderr)
        return 1
    path = write_results("backfill", results)
    profile_lines = _profile.render(results["profile"]) if "profile" in results else []
    print("\n" + "\n".join([render(results), *profile_lines]) + f"\n\nresults:    {path}")
    if problems:
        print("\n" + "!" * 72, file=sys.stderr)
        print(
            f"CROSS-CHECK FAILED ({len(problems)}): the variants did not compute the same "
            "tables, or f did not do a's bookkeeping; the figures above do not count",
            file=sys.stderr,
        )
        for problem in problems[:50]:
            print(f"  {problem}", file=sys.stderr)
        print("!" * 72 + f"\n(workdir kept: {workdir})", file=sys.stderr)
        return 1
    if temporary:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
