"""The embedded instance's event log writes a range run's per-day asset events in batches, and
answers every question about them as Dagster's own SQLite storage does for the same runs."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.storage.event_log import SqliteEventLogStorage

from adventureworks_orchestration.dagster_home import ensure_dagster_home
from adventureworks_orchestration.event_log_storage import (
    BATCH_SIZE_VARIABLE,
    BatchedSqliteEventLogStorage,
)

DAYS = [f"2024-01-{day:02d}" for day in range(1, 31)]
PARTITIONS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-02-01")
RANGE_TAGS = {
    "dagster/asset_partition_range_start": DAYS[0],
    "dagster/asset_partition_range_end": DAYS[-1],
}


def _assets(fail: bool) -> list:
    @dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
    def daily() -> None:
        if fail:
            raise RuntimeError("the range run fails")

    @dg.asset_check(asset=daily)
    def has_rows() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    return [daily, has_rows]


KEY = dg.AssetKey("daily")


def _run(instance: dg.DagsterInstance, fail: bool = False) -> None:
    result = dg.materialize(_assets(fail), instance=instance, tags=RANGE_TAGS, raise_on_error=False)
    assert result.success is not fail


def _answers(instance: dg.DagsterInstance) -> dict:
    """What the UI and sensors ask of the event log about the asset's days."""
    latest = instance.get_latest_materialization_event(KEY)
    return {
        "materialized": sorted(instance.get_materialized_partitions(KEY)),
        "status": instance.get_status_by_partition(KEY, DAYS, PARTITIONS),
        "materializations": [
            r.partition_key for r in instance.fetch_materializations(KEY, limit=1000).records
        ],
        "planned": len(instance.fetch_planned_materializations(KEY, limit=1000).records),
        "latest": latest.dagster_event.partition if latest and latest.dagster_event else None,
        "checks": len(
            instance.event_log_storage.get_asset_check_execution_history(
                dg.AssetCheckKey(KEY, "has_rows"), limit=10
            )
        ),
    }


@pytest.fixture
def asset_event_writes(monkeypatch):
    """Counts asset events stored one by one (``store_event``), per event type."""
    monkeypatch.delenv(BATCH_SIZE_VARIABLE, raising=False)  # as a fresh process has it
    counted: dict[str, int] = {}
    original = SqliteEventLogStorage.store_event

    def counting(self, event):
        if event.is_dagster_event and event.dagster_event_type in (
            DagsterEventType.ASSET_MATERIALIZATION,
            DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
        ):
            name = event.dagster_event_type.value
            counted[name] = counted.get(name, 0) + 1
        return original(self, event)

    monkeypatch.setattr(SqliteEventLogStorage, "store_event", counting)
    return counted


def test_a_range_runs_day_events_are_written_in_batches(tmp_path, asset_event_writes):
    with dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path / "home"))) as instance:
        assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
        _run(instance)
        assert sorted(instance.get_materialized_partitions(KEY)) == DAYS

    assert asset_event_writes == {}, "30 days' events, none stored one by one"


@pytest.mark.parametrize("fail", [False, True], ids=["succeeded", "failed"])
def test_the_instance_answers_as_dagsters_own_storage_does(tmp_path, asset_event_writes, fail):
    answers = []
    for name in ("dagster", "batched"):
        home = tmp_path / name
        if name == "batched":
            ensure_dagster_home(home)
        else:
            home.mkdir()
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage) is (
                name == "batched"
            )
            _run(instance, fail=fail)
            answers.append(_answers(instance))

    dagster, batched = answers
    assert batched == dagster
    expected = dg.AssetPartitionStatus.FAILED if fail else dg.AssetPartitionStatus.MATERIALIZED
    assert set(batched["status"].values()) == {expected}, "the check can tell the two apart"
    assert batched["planned"] == len(DAYS)
