"""Where a range run's time goes: one extra run of variant a under cProfile with Spark's event log.

The profiled run is slower than the timed one (cProfile costs the Python side, never the JVM's),
so its seconds are never used in a ratio; what it is for is the split and the counts:

- **Dagster event writes**: events reported and the seconds spent storing them (Dagster's
  ``handle_new_event``, batches included: one ASSET_MATERIALIZATION and one
  ASSET_MATERIALIZATION_PLANNED per asset and day);
- **waiting for Spark**: seconds the driver spent in py4j round trips, and how many there were
  (a call per column expression when a plan is built; a Spark job runs inside one of them);
- **storage calls**: the project's object-store calls by name (the publish's gets, puts, moves);
  ``list`` is a generator, which cProfile counts once per object listed, so it is shown as
  objects listed, not as requests;
- **Spark**: jobs, stages and tasks from the event log, and the seconds jobs were running;
- the project's functions with the most cumulative time.
"""

from __future__ import annotations

import json
import pstats
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

PACKAGE = "adventureworks_orchestration"
OBJECT_STORE = f"{PACKAGE}/storage/object_store.py"
STORE_CALLS = {"get", "put", "delete", "delete_many", "list", "make_durable"}  # ObjectStore's


def profiled_command(command: Sequence[str], python: str, stats_path: Path) -> list[str]:
    """``command`` (a console script such as ``dg``) run by ``python -m cProfile``."""
    return [python, "-m", "cProfile", "-o", str(stats_path), *command]


def spark_event_log_env(event_dir: Path) -> dict[str, str]:
    """Turns on Spark's event log for a process that starts its session through pyspark."""
    event_dir.mkdir(parents=True, exist_ok=True)
    conf = " ".join(
        f"--conf {key}={value}"
        for key, value in {
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": event_dir.as_uri(),
            "spark.eventLog.compress": "false",  # Spark 4 compresses with zstd by default
        }.items()
    )
    return {"PYSPARK_SUBMIT_ARGS": f"{conf} pyspark-shell"}


def summarise(
    stats_path: Path, event_dir: Path, days: int, assets: int, top: int = 15
) -> dict[str, object]:
    stats = pstats.Stats(str(stats_path)).stats  # type: ignore[attr-defined]
    # every event the run reports passes here once (stored at once, or buffered into a batch)
    events, event_seconds = _calls_and_cumulative(
        _named(stats, "handle_new_event", "instance/methods/event_methods")
    )
    py4j_calls, py4j_seconds = _calls_and_cumulative(_named(stats, "send_command", "java_gateway"))
    asset_days = days * assets
    return {
        "profiled_total_seconds": round(max(entry[3] for entry in stats.values()), 1),
        "dagster_events": {
            "stored": events,
            "seconds": round(event_seconds, 1),
            "per_asset_day": round(events / asset_days, 2),
            "ms_per_event": round(1000 * event_seconds / events, 2) if events else None,
        },
        "py4j": {
            "calls": py4j_calls,
            "seconds": round(py4j_seconds, 1),
            "calls_per_asset_day": round(py4j_calls / asset_days, 2),
        },
        "storage_calls": dict(
            sorted(
                Counter(
                    {
                        ("objects listed" if name == "list" else name): entry[1]
                        for (file, _, name), entry in stats.items()
                        if file.endswith(OBJECT_STORE) and name in STORE_CALLS
                    }
                ).items()
            )
        ),
        "spark": spark_events(event_dir),
        "top_functions": [
            {
                "function": f"{Path(file).name}:{name}",
                "calls": entry[1],
                "seconds": round(entry[3], 2),
            }
            for (file, _, name), entry in sorted(
                ((key, value) for key, value in stats.items() if PACKAGE in key[0]),
                key=lambda item: -item[1][3],
            )[:top]
        ],
    }


def spark_events(event_dir: Path) -> dict[str, object]:
    """Jobs, stages and tasks in the event log(s) under ``event_dir``, and job seconds."""
    jobs = stages = tasks = 0
    job_ms = 0
    started: dict[int, int] = {}
    # Spark 4 writes rolling logs: eventlog_v2_<app>/events_<n>_<app>
    for log in sorted(event_dir.rglob("events_*")):
        for line in log.read_text(errors="replace").splitlines():
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerJobStart":
                started[event["Job ID"]] = event["Submission Time"]
            elif kind == "SparkListenerJobEnd":
                jobs += 1
                job_ms += event["Completion Time"] - started.pop(
                    event["Job ID"], event["Completion Time"]
                )
            elif kind == "SparkListenerStageCompleted":
                stages += 1
            elif kind == "SparkListenerTaskEnd":
                tasks += 1
    return {"jobs": jobs, "stages": stages, "tasks": tasks, "job_seconds": round(job_ms / 1000, 1)}


def render(profile: Mapping[str, object]) -> list[str]:
    events, py4j, spark = profile["dagster_events"], profile["py4j"], profile["spark"]
    lines = [
        f"profile (one more run of a under cProfile: {profile['profiled_total_seconds']}s):",
        f"  Dagster events reported: {events['stored']} ({events['per_asset_day']} per asset-day), "
        f"{events['seconds']}s, {events['ms_per_event']} ms each",
        f"  py4j round trips: {py4j['calls']} ({py4j['calls_per_asset_day']} per asset-day), "
        f"{py4j['seconds']}s waiting (Spark jobs included)",
        f"  Spark: {spark['jobs']} jobs, {spark['stages']} stages, {spark['tasks']} tasks, "
        f"jobs running {spark['job_seconds']}s",
        "  storage calls: "
        + ", ".join(f"{name} {count}" for name, count in profile["storage_calls"].items()),
        "  most cumulative time in the project:",
    ]
    lines += [
        f"    {row['seconds']:7.2f}s {row['calls']:6d}x {row['function']}"
        for row in profile["top_functions"]
    ]
    return lines


def _named(stats: Mapping, function: str, file_part: str) -> list:
    return [
        entry for (file, _, name), entry in stats.items() if name == function and file_part in file
    ]


def _calls_and_cumulative(entries: Sequence) -> tuple[int, float]:
    """Calls and cumulative seconds of the outermost of ``entries`` (recursion counted once)."""
    if not entries:
        return 0, 0.0
    outer = max(entries, key=lambda entry: entry[3])
    return outer[1], outer[3]
