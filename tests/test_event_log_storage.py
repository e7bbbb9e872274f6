"""The embedded instance's event log writes a range run's per-day asset events in batches, and
answers every question about them as Dagster's own SQLite storage does for the same runs."""

from __future__ import annotations

from collections import Counter

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
    # as a fresh process has it; set first so that the storage's setdefault is undone after
    monkeypatch.setenv(BATCH_SIZE_VARIABLE, "")
    monkeypatch.delenv(BATCH_SIZE_VARIABLE)
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


def test_batch_size_0_turns_batching_off(tmp_path, asset_event_writes, monkeypatch):
    monkeypatch.setenv(BATCH_SIZE_VARIABLE, "0")
    with dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path / "home"))) as instance:
        _run(instance)

    assert asset_event_writes == {"ASSET_MATERIALIZATION": 30, "ASSET_MATERIALIZATION_PLANNED": 30}


@pytest.mark.parametrize("fails", ["run database", "index"])
def test_a_batch_whose_write_fails_half_way_stores_each_event_once(
    tmp_path, asset_event_writes, monkeypatch, fails
):
    """The first group write to one database fails (a lock timeout, say; its transaction is
    rolled back), for the index after the run's database took the group: every event ends up
    once in each database."""
    failed: list[str] = []

    def failing_once(original):
        def write(self, events):
            if len(events) > 1 and not failed:
                failed.append(fails)
                raise OSError("database is locked")
            return original(self, events)

        return write

    name = "_insert_into_run_database" if fails == "run database" else "_index_asset_events"
    monkeypatch.setattr(
        BatchedSqliteEventLogStorage,
        name,
        failing_once(getattr(BatchedSqliteEventLogStorage, name)),
    )
    with dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path / "home"))) as instance:
        _run(instance)
        run_id = instance.get_runs(limit=1)[0].run_id
        in_run = Counter(
            (e.dagster_event_type, e.dagster_event.partition)
            for e in instance.all_logs(run_id)
            if e.is_dagster_event and e.dagster_event.asset_key == KEY
        )
        answers = _answers(instance)

    assert failed == [fails], "the failure was injected"
    assert set(in_run.values()) == {1}, "each asset event once in the run's database"
    assert len(in_run) == 2 * len(DAYS), "planned and materialized, every day"
    assert answers["materializations"] == DAYS[::-1], "each day once in the index, in order"
    assert answers["planned"] == len(DAYS)
    assert answers["latest"] == DAYS[-1]


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
