"""The landing sensor: complete days whose landing files are not ingested yet start runs.

The decisions are in ``ingestion_plan`` and ``landing_scan`` (pure functions, tested directly);
this module connects them to Dagster: the cursor, the instance's records, the run requests, the
tick log and the ``landing_ingestion`` check.

What a tick costs:

* ordinary tick: 3 ListObjectsV2 requests (one per table, bounded to the window; more only when
  a table's window holds over 1000 keys or junk), and instance queries: 3 to read the source
  materializations since the last tick, plus 3 per 500 days whose provenance is not cached (days
  that just entered the window) or that have an open request, plus 1 per 100 run keys while
  requests are open;
* reconciliation (every ``AWO_SENSOR_RECONCILE_HOURS``, and on a fresh or reset cursor):
  ceil(N / 1000) requests for N objects under ``bookings/``, plus 3 instance queries per 500
  complete days not cached, plus 4-5 queries for the ``landing_ingestion`` verdict.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from ..checks.landing_ingestion import ingestion_evaluations
from ..constants import (
    LANDING_ATTEMPT_TAG,
    LANDING_FINAL_ATTEMPT_TAG,
    LANDING_REQUEST_TAG,
    LANDING_SENSOR_NAME,
    LANDING_TRIGGER_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from ..landing.listing import build_landing_lister
from ..landing.objects import LandingLister
from ..partitions.daily import latest_complete_day
from ..settings import Settings
from .cursor import LandingCursor
from .ingestion_plan import (
    PlannedRun,
    Policy,
    apply_provenance_events,
    merge_provenance,
    plan_tick,
    reconcile_due,
    window_start,
)
from .instance_records import InstanceRecords
from .landing_scan import Scan, scan_everything, scan_window

__all__ = ["RANGE_END_TAG", "RANGE_START_TAG", "build_landing_sensor", "evaluate_landing"]


def policy_from(settings: Settings) -> Policy:
    return Policy(
        lookback_days=settings.sensor_lookback_days,
        max_days_per_run=settings.sensor_max_days_per_run,
        max_attempts=settings.sensor_max_attempts,
        backoff_seconds=settings.sensor_retry_backoff_seconds,
        reconcile_seconds=settings.sensor_reconcile_hours * 3600,
    )


def refresh_provenance(cursor: LandingCursor, scan: Scan, records: InstanceRecords) -> None:
    """Bring ``cursor.recorded`` up to date for every day of ``scan`` and every open request."""
    if cursor.log_position is None:
        cursor.log_position = records.latest_storage_id()
    else:
        events, cursor.log_position = records.provenance_after(cursor.log_position)
        apply_provenance_events(cursor, events)
    # open requests are looked up directly: a request is never judged on a stale cache
    days = sorted({d for d in scan.files if d not in cursor.recorded} | set(cursor.requests))
    if days:
        merge_provenance(cursor, days, records.provenance_of(days))


def run_tags(run: PlannedRun, policy: Policy) -> dict[str, str]:
    tags = {
        RANGE_START_TAG: run.first_day,
        RANGE_END_TAG: run.last_day,
        LANDING_TRIGGER_TAG: "landing",
        LANDING_REQUEST_TAG: run.run_key,
        LANDING_ATTEMPT_TAG: str(run.attempt),
    }
    if run.attempt >= policy.max_attempts:
        tags[LANDING_FINAL_ATTEMPT_TAG] = "true"
    return tags


def evaluate_landing(
    context: dg.SensorEvaluationContext,
    lister: LandingLister,
    settings: Settings,
    now: dt.datetime,
) -> dg.SensorResult | dg.SkipReason:
    """One tick: list, read provenance, decide, request, report, move the cursor."""
    last_day = latest_complete_day(now, settings.partitions_start)
    if last_day is None:
        return dg.SkipReason("no complete day yet since the partitions' start date")
    policy = policy_from(settings)
    clock = now.timestamp()
    cursor = LandingCursor.from_json(context.cursor)
    first_day = settings.partitions_start
    if reconcile_due(cursor, clock, policy):
        context.log.info(f"reconciliation: listing every landing file ({first_day}..{last_day})")
        scan = scan_everything(lister, first_day, last_day)
    else:
        lo = window_start(cursor, first_day, last_day, clock, policy)
        scan = scan_window(lister, first_day, lo, last_day)
    records = InstanceRecords(context.instance)
    refresh_provenance(cursor, scan, records)
    plan = plan_tick(cursor, scan, clock, policy, records.run_outcomes)

    for line in plan.infos:
        context.log.info(line)
    for line in plan.warnings:
        context.log.warning(line)
    for day in plan.resolved:
        context.log.info(f"{day}: ingested after all; its landing_ingestion failure is resolved")
    requests = []
    for run in plan.runs:
        context.log.info(
            f"requesting {run.first_day}..{run.last_day} (attempt {run.attempt}) for "
            f"{len(run.files)} file(s) not ingested yet"
        )
        requests.append(dg.RunRequest(run_key=run.run_key, tags=run_tags(run, policy)))
    report = scan.full or plan.gave_up or plan.resolved
    return dg.SensorResult(
        run_requests=requests,
        cursor=plan.cursor.to_json(),
        asset_events=ingestion_evaluations(context.instance) if report else [],
    )


def build_landing_sensor(job: object, settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name=LANDING_SENSOR_NAME,
        job=job,
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts runs for complete days whose landing files are not ingested yet; "
        "retries failed days, then reports them on the landing_ingestion check.",
    )
    def landing_files_sensor(context: dg.SensorEvaluationContext):
        return evaluate_landing(
            context, build_landing_lister(settings), settings, dt.datetime.now(dt.UTC)
        )

    return landing_files_sensor
