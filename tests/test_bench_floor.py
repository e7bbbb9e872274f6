"""The benchmark's "Dagster alone" variant (bench/dagster_floor.py) is the platform's graph with
no work: same assets, dependencies, partitions, backfill policy and checks, and a range run of it
reports what a platform run reports per asset and day while writing nothing."""

from __future__ import annotations

import importlib.util
import subprocess

import dagster as dg

from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.settings import get_settings

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env
from .pipeline_helpers import ALL_ASSETS

FLOOR = PROJECT_ROOT / "bench" / "dagster_floor.py"
DAYS = ("2024-03-01", "2024-03-03")  # 3 days


def _floor_definitions(settings, monkeypatch) -> dg.Definitions:
    """The floor's definitions as its own process builds them: from settings in the environment
    (``cli_env``, which the range-run test below uses too)."""
    for name, value in cli_env(settings).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    spec = importlib.util.spec_from_file_location("dagster_floor", FLOOR)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        get_settings.cache_clear()  # the next get_settings() reads the restored environment
    return module.defs


def _shape(defs: dg.Definitions) -> dict[str, tuple]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): (
            sorted(parent.to_user_string() for parent in node.parent_keys),
            node.partitions_def,
            node.backfill_policy,
            node.group_name,
            sorted(check.to_user_string() for check in node.check_keys),
        )
        for key in graph.materializable_asset_keys
        for node in [graph.get(key)]
    } | {"standalone checks": sorted(str(key) for key in _standalone_checks(defs))}


def _standalone_checks(defs: dg.Definitions) -> set[dg.AssetCheckKey]:
    return {key for checks_def in defs.asset_checks for key in checks_def.check_keys}


def test_the_floor_has_the_platforms_assets_dependencies_partitions_and_checks(
    settings, monkeypatch
):
    platform = _shape(build_definitions(settings))
    floor = _shape(_floor_definitions(settings, monkeypatch))
    assert set(floor) == {*ALL_ASSETS, "standalone checks"}
    assert floor == platform
    assert floor["standalone checks"]  # landing ingestion and freshness came along


def test_a_range_run_of_the_floor_reports_every_asset_day_and_writes_nothing(settings):
    env = cli_env(settings)
    command = [bin_path("dagster"), "asset", "materialize", "-f", str(FLOOR)]
    command += ["--select", "group:labs", "--partition-range", "...".join(DAYS)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        records = instance.get_records_for_run(run.run_id, limit=100_000).records
    events = [
        r.event_log_entry.dagster_event for r in records if r.event_log_entry.is_dagster_event
    ]
    materialized = {
        (event.asset_key.to_user_string(), event.partition)
        for event in events
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
    }
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert materialized == {(asset, day) for asset in ALL_ASSETS for day in days}
    checks = [e for e in events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    assert checks and all(e.event_specific_data.passed for e in checks)
    assert not (settings.data_dir / "warehouse").exists()
