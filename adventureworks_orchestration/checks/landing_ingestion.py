"""``landing_ingestion`` on each source asset: fails while a day's landing files could not be
ingested after the sensor's last automatic attempt, so an operator sees it in the UI.

The verdict is computed from the instance alone, the same way whether the landing sensor reports
it (when it gives up on a day, when such a day is ingested after all, and at each reconciliation)
or someone executes the check from the UI: a day is *stuck* when a landing run tagged as the
final attempt failed for it (and Dagster is not retrying it), and not every source table has been
materialized for that day since that run ended. It passes again once the day is ingested, by the
sensor after a file was fixed or by a run launched by hand. One range run records one verdict per
check (not per partition), so the stuck days and their runs are in the check's metadata.
"""

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from ..constants import (
    LANDING_FINAL_ATTEMPT_TAG,
    LANDING_INGESTION_CHECK_NAME,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from ..landing.paths import LANDING_TABLES
from ..partitions.daily import days_in_range
from ..sensors.instance_records import fetch_all, source_key

FAILED_RUNS_LOOKED_AT = 500  # the newest final-attempt failures; older ones are long resolved


@dataclass(frozen=True)
class StuckDay:
    run_id: str
    failed_at: float


@dataclass(frozen=True)
class IngestionVerdict:
    stuck: dict[str, StuckDay]

    @property
    def passed(self) -> bool:
        return not self.stuck

    @property
    def description(self) -> str:
        if self.passed:
            return "Every day the landing sensor requested was ingested or is still being tried."
        days = sorted(self.stuck)
        shown = ", ".join(days[:10]) + (" ..." if len(days) > 10 else "")
        return (
            f"{len(days)} day(s) not ingested after the landing sensor's last attempt: {shown}. "
            "Fix or replace the landing files (the sensor starts again when a file changes) or "
            "launch the days by hand."
        )

    @property
    def metadata(self) -> dict[str, dg.MetadataValue]:
        return {
            "stuck_day_count": dg.MetadataValue.int(len(self.stuck)),
            "stuck_days": dg.MetadataValue.json(
                {
                    day: {
                        "run_id": item.run_id,
                        "failed_at": dt.datetime.fromtimestamp(item.failed_at, dt.UTC).isoformat(),
                    }
                    for day, item in sorted(self.stuck.items())
                }
            ),
        }


def ingestion_verdict(instance: dg.DagsterInstance) -> IngestionVerdict:
    """Stuck days, from the final-attempt runs that failed and the source materializations since."""
    failures: dict[str, StuckDay] = {}
    filters = dg.RunsFilter(
        tags={LANDING_FINAL_ATTEMPT_TAG: "true"},
        statuses=[dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED],
    )
    for record in instance.get_run_records(filters=filters, limit=FAILED_RUNS_LOOKED_AT):
        run = record.dagster_run
        first, last = run.tags.get(RANGE_START_TAG), run.tags.get(RANGE_END_TAG)
        if not first or not last or run.is_complete_and_waiting_to_retry:
            continue
        ended = record.end_time or record.update_timestamp.timestamp()
        for day in days_in_range(first, last):
            if day not in failures or failures[day].failed_at < ended:
                failures[day] = StuckDay(run.run_id, ended)
    if not failures:
        return IngestionVerdict({})
    since = min(item.failed_at for item in failures.values())
    ingested_after: dict[str, dict[str, float]] = {}
    for table in LANDING_TABLES:
        records_filter = dg.AssetRecordsFilter(
            source_key(table), asset_partitions=sorted(failures), after_timestamp=since
        )
        for record in fetch_all(instance, records_filter):
            newest = ingested_after.setdefault(record.partition_key, {})
            newest[table] = max(newest.get(table, 0.0), record.timestamp)
    stuck = {
        day: item
        for day, item in failures.items()
        if not all(ingested_after.get(day, {}).get(t, 0.0) > item.failed_at for t in LANDING_TABLES)
    }
    return IngestionVerdict(stuck)


def ingestion_evaluations(instance: dg.DagsterInstance) -> list[dg.AssetCheckEvaluation]:
    """The verdict as check evaluations a sensor can report (one per source asset)."""
    verdict = ingestion_verdict(instance)
    return [
        dg.AssetCheckEvaluation(
            asset_key=source_key(table),
            check_name=LANDING_INGESTION_CHECK_NAME,
            passed=verdict.passed,
            metadata=verdict.metadata,
            description=verdict.description,
        )
        for table in LANDING_TABLES
    ]


def build_landing_ingestion_check() -> dg.AssetChecksDefinition:
    """The check, executable from the UI; the landing sensor reports the same verdict itself."""

    @dg.multi_asset_check(
        name="landing_ingestion_checks",
        specs=[
            dg.AssetCheckSpec(
                LANDING_INGESTION_CHECK_NAME,
                asset=source_key(table),
                description="Fails while a day's landing files could not be ingested after the "
                "landing sensor's last automatic attempt.",
            )
            for table in LANDING_TABLES
        ],
    )
    def landing_ingestion_checks(context: dg.AssetCheckExecutionContext):
        verdict = ingestion_verdict(context.instance)
        for table in LANDING_TABLES:
            yield dg.AssetCheckResult(
                asset_key=source_key(table),
                check_name=LANDING_INGESTION_CHECK_NAME,
                passed=verdict.passed,
                metadata=verdict.metadata,
                description=verdict.description,
            )

    return landing_ingestion_checks


def landing_ingestion_check_keys() -> list[dg.AssetCheckKey]:
    return [dg.AssetCheckKey(source_key(t), LANDING_INGESTION_CHECK_NAME) for t in LANDING_TABLES]
