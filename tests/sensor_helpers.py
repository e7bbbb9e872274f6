"""Driving the landing sensor the way Dagster does, against a real landing area and instance.

``SensorDriver.tick`` evaluates one tick (the cursor carried over as the daemon would, the tick's
log lines collected); ``launch`` does what the daemon does with the run requests: a request whose
run key already has a run (in any status) is dropped, the others run, in process, on real Spark.
The runs materialize the source assets only: they are what the sensor's guarantees are about
(the full graph runs in tests/test_sensor_end_to_end.py under a real daemon).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

import dagster as dg

from adventureworks_orchestration.assets.sample import build_sample_assets
from adventureworks_orchestration.landing.listing import build_landing_lister
from adventureworks_orchestration.landing.objects import LandingLister
from adventureworks_orchestration.partitions import daily_partitions_def
from adventureworks_orchestration.resources.wiring import build_resources
from adventureworks_orchestration.sensors.landing_sensor import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    evaluate_landing,
)
from adventureworks_orchestration.settings import Settings

from .pipeline_helpers import SOURCE

NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # last complete day: 2024-03-19
RUN_KEY_TAG = "dagster/run_key"  # what the daemon tags a sensor's run with


class LogLines(logging.Handler):
    """Collects the messages of a logger (what a sensor logged)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class Tick:
    result: dg.SensorResult
    lines: list[str]

    @property
    def spans(self) -> list[tuple[str, str]]:
        return [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in self.result.run_requests]

    @property
    def keys(self) -> list[str]:
        return [r.run_key for r in self.result.run_requests]


@dataclass
class SensorDriver:
    settings: Settings
    instance: dg.DagsterInstance
    lister: LandingLister | None = None
    cursor: str | None = None
    ticks: list[Tick] = field(default_factory=list)

    def tick(self, now: dt.datetime = NOW) -> Tick:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        handler = LogLines()
        context.log.addHandler(handler)
        lister = self.lister or build_landing_lister(self.settings)
        result = evaluate_landing(context, lister, self.settings, now)
        assert isinstance(result, dg.SensorResult), result
        self.cursor = result.cursor
        tick = Tick(result, handler.lines)
        self.ticks.append(tick)
        return tick

    def launch(self, tick: Tick) -> list[bool]:
        """Run the tick's requests like the daemon (duplicates by run key dropped); success each."""
        assets = build_sample_assets(daily_partitions_def(self.settings.partitions_start))
        outcomes = []
        for request in tick.result.run_requests:
            existing = self.instance.get_run_records(
                filters=dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key})
            )
            if existing:
                continue
            result = dg.materialize(
                assets,
                selection=[dg.AssetKey.from_user_string(key) for key in SOURCE],
                instance=self.instance,
                resources=build_resources(self.settings),
                tags={**request.tags, RUN_KEY_TAG: request.run_key},
                raise_on_error=False,
            )
            outcomes.append(result.success)
        return outcomes

    def tick_and_launch(self, now: dt.datetime = NOW) -> Tick:
        tick = self.tick(now)
        self.launch(tick)
        return tick


def ingestions(instance: dg.DagsterInstance) -> Counter[tuple[str, str]]:
    """(source table, day) -> how many successful runs materialized it."""
    counts: Counter[tuple[str, str]] = Counter()
    status: dict[str, dg.DagsterRunStatus] = {}
    for key in SOURCE:
        records = instance.fetch_materializations(
            dg.AssetKey.from_user_string(key), limit=10_000
        ).records
        for record in records:
            if record.run_id not in status:
                status[record.run_id] = instance.get_run_by_id(record.run_id).status
            if status[record.run_id] == dg.DagsterRunStatus.SUCCESS:
                counts[(key.rsplit("/", 1)[-1], record.partition_key)] += 1
    return counts


def latest_provenance(instance: dg.DagsterInstance, table: str, day: str) -> dict[str, object]:
    """The metadata of the newest materialization of one source table's day."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(["labs", "source", table]), asset_partitions=[day]),
        limit=1,
    ).records
    assert records, f"{table} {day} was never materialized"
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}
