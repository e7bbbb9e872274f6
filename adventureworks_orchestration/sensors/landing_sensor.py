"""The landing sensor: new or replaced landing files start runs for the days they complete.

The decisions are in ``landing_scan`` (pure functions, tested directly); this module connects them
to Dagster: the cursor, the instance's record of what was ingested, the run requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import dagster as dg

from ..constants import ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE, LANDING_SENSOR_NAME
from ..landing.listing import LandingLister, build_landing_lister
from ..partitions.daily import latest_complete_day
from ..settings import Settings
from .landing_scan import LandingCursor, changed_days, plan_runs, remember, scan_landing

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def ingested_etags(
    instance: dg.DagsterInstance, table: str, days: Sequence[str]
) -> Mapping[str, str]:
    """Per day, the etag of the landing file the source asset last ingested (its metadata)."""
    key = dg.AssetKey([ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE, table])
    etags = {}
    for day in days:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1
        ).records
        materialization = records[0].asset_materialization if records else None
        etag = materialization.metadata.get("landing_etag") if materialization else None
        if etag is not None:
            etags[day] = str(etag.value)
    return etags


def evaluate_landing(
    context: dg.SensorEvaluationContext,
    lister: LandingLister,
    settings: Settings,
    now: dt.datetime,
) -> dg.SensorResult | dg.SkipReason:
    """One tick: list the window, decide, request, move the cursor."""
    last_day = latest_complete_day(now, settings.partitions_start)
    if last_day is None:
        return dg.SkipReason("no complete day yet since the partitions' start date")
    lookback = settings.sensor_lookback_days
    cursor = LandingCursor.from_json(context.cursor)
    scan = scan_landing(lister, cursor, settings.partitions_start, last_day, lookback)
    for message in scan.skipped:
        context.log.warning(f"skipped {message}")
    for day, missing in sorted(scan.incomplete.items()):
        context.log.info(f"{day}: waiting for {', '.join(missing)} before starting its run")
    days = changed_days(scan, lambda table, wanted: ingested_etags(context.instance, table, wanted))
    runs = plan_runs(days, scan)
    complete = [day for day in scan.files if day not in scan.incomplete]
    remember(scan.cursor, scan, complete, lookback)
    requests = []
    for run in runs:
        span = f"{run.first_day}..{run.last_day}"
        context.log.info(f"requesting {span} for {len(run.files)} new or changed file(s)")
        tags = {RANGE_START_TAG: run.first_day, RANGE_END_TAG: run.last_day}
        requests.append(dg.RunRequest(run_key=run.run_key, tags={**tags, "awo/trigger": "landing"}))
    return dg.SensorResult(run_requests=requests, cursor=scan.cursor.to_json())


def build_landing_sensor(job: object, settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts runs for the days whose landing files just landed or changed.",
    )
    def landing_files_sensor(context: dg.SensorEvaluationContext):
        return evaluate_landing(
            context, build_landing_lister(settings), settings, dt.datetime.now(dt.UTC)
        )

    return landing_files_sensor
