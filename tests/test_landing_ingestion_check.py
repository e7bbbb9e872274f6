"""The landing_ingestion check: red while a day's final landing attempt failed and the day has not
been ingested since, green again once it is; executable from the UI (here: in a real run) and the
same verdict the landing sensor reports."""

from __future__ import annotations

import dagster as dg

from adventureworks_orchestration.assets.sample import build_sample_assets
from adventureworks_orchestration.checks.landing_ingestion import (
    build_landing_ingestion_check,
    ingestion_verdict,
    landing_ingestion_check_keys,
)
from adventureworks_orchestration.constants import SAMPLE_JOB_NAME
from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.partitions import daily_partitions_def
from adventureworks_orchestration.resources.wiring import build_resources

from .conftest import landing_view, write_landing
from .pipeline_helpers import SOURCE

DAY = "2024-03-05"


def test_the_checks_are_defined_on_the_source_assets_and_left_out_of_sample_job(settings):
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    assert set(landing_ingestion_check_keys()) <= set(graph.asset_check_keys)
    assert {k.asset_key.to_user_string() for k in landing_ingestion_check_keys()} == set(SOURCE)
    job = defs.resolve_job_def(SAMPLE_JOB_NAME)
    assert "landing_ingestion_checks" not in job.graph.node_dict


def _run(settings, instance, tags=None, checks_only=False):
    assets = build_sample_assets(daily_partitions_def(settings.partitions_start))
    check = build_landing_ingestion_check()
    if checks_only:
        return dg.materialize(
            [*assets, check],
            selection=dg.AssetSelection.checks(check),
            instance=instance,
            resources=build_resources(settings),
        )
    return dg.materialize(
        assets,
        selection=[dg.AssetKey.from_user_string(k) for k in SOURCE],
        instance=instance,
        resources=build_resources(settings),
        tags={
            "dagster/asset_partition_range_start": DAY,
            "dagster/asset_partition_range_end": DAY,
            **(tags or {}),
        },
        raise_on_error=False,
    )


def _executed_verdicts(result):
    return {
        e.asset_check_evaluation_data.asset_key.to_user_string(): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_a_failed_final_attempt_is_red_until_the_day_is_ingested(settings, instance, spark):
    write_landing(settings, [DAY], bookings_per_day=20)
    landing = landing_view(settings)
    path = landing_file_path("members", DAY)
    good = landing.read_text(path)
    landing.write_text(path, good.replace("\n", "\nnot-a-row-with,enough\n", 1))
    earlier = _run(settings, instance, {"awo/landing_attempt": "2"})  # not the last attempt
    assert not earlier.success and ingestion_verdict(instance).passed

    final = _run(settings, instance, {"awo/landing_final_attempt": "true"})
    assert not final.success
    verdict = ingestion_verdict(instance)
    assert sorted(verdict.stuck) == [DAY] and verdict.stuck[DAY].run_id == final.run_id
    executed = _executed_verdicts(_run(settings, instance, checks_only=True))
    assert set(executed) == set(SOURCE)
    assert all(not v.passed and v.metadata["stuck_day_count"].value == 1 for v in executed.values())

    landing.write_text(path, good)
    assert _run(settings, instance).success  # ingested, here by hand
    assert ingestion_verdict(instance).passed
    assert all(
        v.passed for v in _executed_verdicts(_run(settings, instance, checks_only=True)).values()
    )
