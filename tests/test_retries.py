"""Retries for transient failures: a RetryPolicy on every Spark asset (a step that hits a storage
hiccup runs again within the run), and Dagster's run retries in every instance config we ship (a
run whose worker died is re-executed; tests/test_sensor_end_to_end.py kills one)."""

from __future__ import annotations

import dagster as dg
import yaml

from adventureworks_orchestration.assets.sample import build_sample_assets
from adventureworks_orchestration.assets.sample.assets import SPARK_RETRY_POLICY
from adventureworks_orchestration.dagster_home import EMBEDDED_INSTANCE_CONFIG
from adventureworks_orchestration.partitions import daily_partitions_def
from adventureworks_orchestration.resources.landing_zone import LandingZone
from adventureworks_orchestration.resources.wiring import build_resources

from .conftest import TEST_START, write_landing
from .pipeline_helpers import SOURCE
from .test_instance_config import DEPLOY_INSTANCE

HICCUPS: list[str] = []  # find_files calls that failed, shared by every copy of the resource


class LandingZoneWithOneHiccup(LandingZone):
    """The real landing zone, except that its first listing fails as a dropped connection does."""

    def find_files(self, table, days):
        if not HICCUPS:
            HICCUPS.append(table)
            raise ConnectionResetError("connection reset by peer while listing the landing area")
        return super().find_files(table, days)


def test_every_spark_asset_retries_its_step():
    assets = build_sample_assets(daily_partitions_def(TEST_START))
    policies = {
        key.to_user_string(): asset.op.retry_policy for asset in assets for key in asset.keys
    }
    assert len(policies) == 8
    assert set(policies.values()) == {SPARK_RETRY_POLICY}
    assert SPARK_RETRY_POLICY.max_retries >= 1


def test_a_storage_hiccup_is_retried_within_the_run(settings, instance, spark):
    HICCUPS.clear()
    write_landing(settings, ["2024-03-05"], bookings_per_day=20)
    resources = build_resources(settings)
    resources["landing"] = LandingZoneWithOneHiccup(**resources["landing"].model_dump())

    result = dg.materialize(
        build_sample_assets(daily_partitions_def(settings.partitions_start)),
        selection=[dg.AssetKey.from_user_string(key) for key in SOURCE],
        instance=instance,
        resources=resources,
        partition_key="2024-03-05",
        raise_on_error=False,
    )

    assert result.success
    assert HICCUPS == ["bookings"], "the hiccup happened"
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 1
    assert {
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    } == set(SOURCE)


def test_run_retries_are_on_for_dead_workers_in_every_instance_we_ship():
    for config in (EMBEDDED_INSTANCE_CONFIG, yaml.safe_load(DEPLOY_INSTANCE.read_text())):
        retries = config["run_retries"]
        assert retries["enabled"] is True and retries["max_retries"] >= 1
        assert retries["retry_on_asset_or_op_failure"] is False  # steps: RetryPolicy, the sensor
