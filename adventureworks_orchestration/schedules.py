"""Schedules for the lab job.

Both ask for the latest *complete* day (yesterday, UTC): it is the last partition of the daily
partitions definition, so the request is always a valid partition, and a complete day is the only
one whose landing files can all be there. Re-running it is idempotent, so the five-minute schedule
(from the course) simply keeps that day fresh when files arrive late or are corrected.
"""

from __future__ import annotations

import dagster as dg

from .constants import DAILY_SCHEDULE_NAME, FIVE_MINUTE_SCHEDULE_NAME
from .partitions.daily import latest_complete_day
from .runs_in_flight import runs_in_flight_for_day


def build_schedules(
    sample_job: dg.UnresolvedAssetJobDefinition, start_date: str
) -> list[dg.ScheduleDefinition]:
    @dg.schedule(
        name=FIVE_MINUTE_SCHEDULE_NAME,
        cron_schedule="*/5 * * * *",
        job=sample_job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Every five minutes: materialize the latest complete day (idempotent).",
    )
    def every_five_minutes(context: dg.ScheduleEvaluationContext):
        day = latest_complete_day(context.scheduled_execution_time, start_date)
        if day is None:
            return dg.SkipReason("no complete day yet since the partitions' start date")
        busy = runs_in_flight_for_day(context.instance, day)
        if busy:
            return dg.SkipReason(f"{day} is already being materialized by run {busy[0]}")
        return dg.RunRequest(partition_key=day, tags={"awo/trigger": FIVE_MINUTE_SCHEDULE_NAME})

    daily = dg.build_schedule_from_partitioned_job(
        sample_job,
        name=DAILY_SCHEDULE_NAME,
        hour_of_day=1,
        description="Daily at 01:00 UTC: materialize the day that just ended.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    return [every_five_minutes, daily]
