"""The labs graph stored as Delta, in real Dagster runs: the same assets give the same tables as
with CSV, each materialization says what Delta committed, an asset can choose its own format,
and a re-executed run does not write a table twice."""

from __future__ import annotations

import uuid
from dataclasses import replace

import dagster as dg
import pytest
from pyspark.testing import assertDataFrameEqual

from adventureworks_orchestration.assets.sample import build_sample_assets
from adventureworks_orchestration.assets.sample.assets import SPARK_RETRY_POLICY
from adventureworks_orchestration.constants import SAMPLE_JOB_NAME, SPARK_RESOURCE_KEY
from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.partitions import daily_partitions_def
from adventureworks_orchestration.resources import table_io_manager
from adventureworks_orchestration.resources.delta_spark import DELTA_EXTENSION
from adventureworks_orchestration.resources.wiring import build_resources, uses_delta
from adventureworks_orchestration.settings import settings_from_env
from adventureworks_orchestration.storage.delta_table import DeltaDayTable
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable
from adventureworks_orchestration.storage.s3 import ensure_buckets

from .conftest import TEST_START, make_settings, warehouse_view, write_landing
from .pipeline_helpers import ALL_ASSETS, materialize_range

DAYS = ["2024-03-01", "2024-03-02"]
COLUMNS = {
    "labs/source/members": "snapshot_date",
    "labs/source/facilities": "snapshot_date",
    "labs/transformed/members": "snapshot_date",
    "labs/transformed/facilities": "snapshot_date",
}


def column_of(asset: str) -> str:
    return COLUMNS.get(asset, "booking_date")


def stored(spark, settings, asset: str, table_format: str):
    root = f"{warehouse_view(settings).root_uri}/{asset}"
    if table_format == "delta":
        return DeltaDayTable(spark, root, column_of(asset))
    return PartitionedTable(spark, root, column_of(asset))


# On S3 (the deployment's store); Delta on a local folder runs the whole graph in test_delta_cli.
@pytest.mark.parametrize("storage_settings", ["s3"], indirect=True)
def test_the_whole_graph_as_delta_gives_the_csv_tables(spark, storage_settings, instance):
    """Same landing files, one run per format: every asset holds the same rows per day."""
    delta = storage_settings.with_overrides(table_format="delta")
    csv = storage_settings.with_overrides(data_dir=storage_settings.data_dir.parent / "csv")
    if storage_settings.uses_s3:
        bucket = f"csv-{uuid.uuid4().hex[:10]}"
        ensure_buckets(storage_settings.s3, [bucket])
        csv = csv.with_overrides(s3=replace(storage_settings.s3, warehouse_bucket=bucket))
    write_landing(delta, DAYS)
    if not storage_settings.uses_s3:
        write_landing(csv, DAYS)

    result = materialize_range(delta, instance, DAYS[0], DAYS[-1])
    materialize_range(csv, instance, DAYS[0], DAYS[-1])

    for asset in ALL_ASSETS:
        as_delta = stored(spark, delta, asset, "delta")
        assert as_delta.exists(), asset
        assertDataFrameEqual(as_delta.read(DAYS), stored(spark, csv, asset, "csv").read(DAYS))
    events = {
        (e.materialization.asset_key.to_user_string(), e.materialization.partition): e
        for e in result.get_asset_materialization_events()
    }
    assert {asset for asset, _ in events} == set(ALL_ASSETS)
    bookings = stored(spark, delta, "labs/transformed/bookings", "delta")
    for day in DAYS:
        day_meta = events[("labs/transformed/bookings", day)].materialization.metadata
        assert day_meta["dagster/row_count"].value == bookings.read([day]).count() > 0
        assert day_meta["partition_path"].value == bookings.day_path(day)
        assert day_meta["table_format"].value == "delta"
        assert day_meta["delta_version"].value == bookings.version() == 1
        assert day_meta["delta_files_added"].value == len(DAYS), "one file per day"
        assert day_meta["delta_files_removed"].value == 0
        assert (day_meta["days_written"].value, day_meta["first_day"].value) == (2, DAYS[0])


def test_an_asset_can_be_stored_as_delta_while_the_rest_is_csv(spark, settings, instance):
    write_landing(settings, DAYS)
    override = "labs/transformed/bookings"

    def as_delta(spec: dg.AssetSpec) -> dg.AssetSpec:
        if spec.key.to_user_string() != override:
            return spec
        return spec.merge_attributes(metadata={table_io_manager.TABLE_FORMAT_METADATA_KEY: "delta"})

    assets = dg.map_asset_specs(
        as_delta, build_sample_assets(daily_partitions_def(settings.partitions_start))
    )
    assert uses_delta(settings, assets) and not uses_delta(settings, [])
    resources = build_resources(settings, assets)
    assert resources[SPARK_RESOURCE_KEY].spark_config["spark.sql.extensions"] == DELTA_EXTENSION
    assert "spark.sql.extensions" not in build_resources(settings)[SPARK_RESOURCE_KEY].spark_config

    result = dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": DAYS[0],
            "dagster/asset_partition_range_end": DAYS[-1],
        },
    )

    assert result.success
    warehouse = settings.warehouse_dir
    for asset in ALL_ASSETS:
        is_delta = (warehouse / asset / "_delta_log").is_dir()
        is_csv = (warehouse / asset / "_table" / "manifests").is_dir()
        assert (is_delta, is_csv) == ((True, False) if asset == override else (False, True)), asset
    downstream = stored(spark, settings, "labs/reports/revenue_per_facility", "csv")
    assert downstream.read(DAYS).count() > 0, "the CSV reports read the Delta bookings"


def _labs_job() -> dg.JobDefinition:
    """The sample job, reconstructable by Dagster from the environment (for re-execution)."""
    return build_definitions(settings_from_env()).resolve_job_def(SAMPLE_JOB_NAME)


@pytest.fixture
def env_settings(tmp_path, monkeypatch, spark):
    settings = make_settings(tmp_path / "data", table_format="delta")
    for name, value in {
        "AWO_DATA_DIR": str(settings.data_dir),
        "AWO_PARTITIONS_START": TEST_START,
        "AWO_TABLE_FORMAT": "delta",
        "AWO_SPARK_SHUFFLE_PARTITIONS": "2",
        "AWO_STORAGE": "local",
    }.items():
        monkeypatch.setenv(name, value)
    assert settings_from_env().table_format == "delta"
    return settings


ATTEMPTS = 1 + SPARK_RETRY_POLICY.max_retries


def test_a_retried_step_does_not_write_twice_and_a_re_execution_writes_what_it_reads(
    spark, env_settings, monkeypatch
):
    """The step fails right AFTER its Delta commit (as a crash there would), in every attempt:
    the step's automatic retries (its RetryPolicy, same run) find their commit and skip it. The
    run is then re-executed from the failure after the landing files were fixed (here: other
    rows), as the README tells an operator to: the re-execution is a new run and writes the rows
    it read, never keeping the old version as if it were the new one."""
    write_landing(env_settings, DAYS)
    victim = "labs/source/bookings"  # the step that reads the landing files
    real = table_io_manager._add_per_day_metadata
    failures = []

    def crash_after_commit(context, result):
        if context.asset_key.to_user_string() == victim and len(failures) < ATTEMPTS:
            failures.append((result.version, getattr(result, "skipped", None)))
            raise RuntimeError("injected: the step dies after the commit")
        return real(context, result)

    monkeypatch.setattr(table_io_manager, "_add_per_day_metadata", crash_after_commit)
    tags = {
        "dagster/asset_partition_range_start": DAYS[0],
        "dagster/asset_partition_range_end": DAYS[-1],
    }
    with dg.instance_for_test() as instance:
        job = dg.reconstructable(_labs_job)
        first = dg.execute_job(job, instance=instance, tags=tags)
        assert not first.success
        assert failures == [(1, False)] + [(1, True)] * (ATTEMPTS - 1), "retries skipped the commit"
        table = stored(spark, env_settings, victim, "delta")
        assert table.version() == 1
        before = {day: table.read([day]).count() for day in DAYS}

        write_landing(env_settings, DAYS, bookings_per_day=7)  # the fixed files
        retry = dg.execute_job(
            job,
            instance=instance,
            tags=tags,
            reexecution_options=dg.ReexecutionOptions.from_failure(first.run_id, instance),
        )

        assert retry.success
        table = stored(spark, env_settings, victim, "delta")  # a fresh reader
        assert table.version() == 2, "the re-execution wrote the rows it read"
        after = {day: table.read([day]).count() for day in DAYS}
        assert after != before and all(0 < n <= 7 for n in after.values()), after
        events = [
            e
            for e in retry.get_asset_materialization_events()
            if e.materialization.asset_key.to_user_string() == victim
        ]
        assert {e.materialization.partition for e in events} == set(DAYS)
        for event in events:
            meta = event.materialization.metadata
            assert "delta_write_skipped" not in meta and meta["delta_version"].value == 2
            assert meta["dagster/row_count"].value == after[event.materialization.partition]
        reports = stored(spark, env_settings, "labs/reports/revenue_per_facility", "delta")
        assert reports.read(DAYS).count() > 0, "the downstream steps ran in the retry"
