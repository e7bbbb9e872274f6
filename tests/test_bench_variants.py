"""The benchmark's variants are what bench/backfill.py says they are: the bare PySpark script (c)
loads no Dagster, and the floor (f, bench/dagster_floor.py) is the platform's own graph with no
data work: the same steps, keys, dependencies, partitions, backfill policy, checks, executor and
run logger, and a range run of it stores one materialization per asset and day, evaluates every
check and writes nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter

import dagster as dg

from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.partitions import days_in_range

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env
from .pipeline_helpers import ALL_ASSETS

BENCH = PROJECT_ROOT / "bench"
DAYS = days_in_range("2024-03-01", "2024-03-03")


def _floor_module():
    spec = importlib.util.spec_from_file_location("dagster_floor", BENCH / "dagster_floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _steps(defs: dg.Definitions) -> dict[str, tuple]:
    """Per step (node): the assets and checks it holds, with what Dagster plans by."""
    return {
        node.node_def.name: (
            sorted(
                (
                    spec.key.to_user_string(),
                    sorted(dep.asset_key.to_user_string() for dep in spec.deps),
                    spec.group_name,
                )
                for spec in node.specs
            ),
            sorted(str(check) for check in node.check_keys),
            node.partitions_def,
            node.backfill_policy,
            node.can_subset,
        )
        for node in [*defs.assets, *defs.asset_checks]
    }


def test_the_floor_is_the_platforms_graph_step_for_step(settings):
    platform = build_definitions(settings)
    floor = _floor_module().no_work_definitions(platform)
    assert _steps(floor) == _steps(platform)
    assert {key for a in floor.assets for key in a.keys} == {
        dg.AssetKey.from_user_string(asset) for asset in ALL_ASSETS
    }
    assert floor.asset_checks  # the checks defined apart from the assets came along
    assert floor.executor is platform.executor and floor.loggers is platform.loggers


def test_a_range_run_of_the_floor_does_the_platforms_bookkeeping_and_writes_nothing(settings):
    env = cli_env(settings)
    command = [bin_path("dg"), "launch", "-f", str(BENCH / "dagster_floor.py")]
    command += ["--assets", "group:labs", "--partition-range", f"{DAYS[0]}...{DAYS[-1]}"]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        records = instance.get_records_for_run(run.run_id, limit=100_000).records
    events = [
        r.event_log_entry.dagster_event for r in records if r.event_log_entry.is_dagster_event
    ]
    materialized = Counter(
        (event.asset_key.to_user_string(), event.partition)
        for event in events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    assert materialized == Counter({(asset, day): 1 for asset in ALL_ASSETS for day in DAYS})
    evaluated = [
        event.asset_check_evaluation_data
        for event in events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    platform = build_definitions(settings)
    every_check = {
        key for node in [*platform.assets, *platform.asset_checks] for key in node.check_keys
    }
    assert {e.asset_check_key for e in evaluated} == every_check
    assert all(e.passed for e in evaluated)
    steps = {e.step_key for e in events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert steps == {node.node_def.name for node in [*platform.assets, *platform.asset_checks]}
    assert sorted(path.name for path in settings.data_dir.iterdir()) == ["dagster_home"]


def test_the_bare_pyspark_script_loads_no_dagster():
    """c is the yardstick: importing Dagster (1.5 s) would make it slower than plain PySpark."""
    script = "import sys; import bare_pyspark; print('dagster' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=BENCH, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False", done.stderr[-3000:]
