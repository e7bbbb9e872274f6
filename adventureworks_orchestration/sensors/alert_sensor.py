"""The alert sensor: run failures, failed checks and late days, each sent once.

Every ``AWO_ALERT_INTERVAL_SECONDS`` it reads (1) run failures after its position in the
instance's run-status changes, (2) the latest result of every check of the code location (a
freshness check's late days come from its ``late_days`` metadata), and sends each problem not sent
yet (``checks/alerts.py``) as a JSON POST to ``AWO_ALERT_WEBHOOK_URL``, or, with no URL, as a
warning line in the tick's log. A problem whose POST fails is not remembered, so the next tick
tries it again; run failures are read in order and the position stops before the first one not
delivered. The cursor holds that position and the ids of the open problems already sent.

On its first tick the sensor starts after the newest run failure (older failures are not sent)
and sends the checks and late days failing at that moment.

Instance reads: ``fetch_run_status_changes`` (public) and the latest check results
(``checks/check_results.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import dagster as dg

from ..checks.alerts import Problem, check_failed, late_days, plan_alerts, run_failure
from ..checks.check_results import latest_results
from ..checks.results import FAILING_DAYS_METADATA_KEY
from ..checks.webhook import WebhookError, post_json
from ..constants import (
    ALERT_SENSOR_NAME,
    FRESHNESS_CHECK_NAME,
    LANDING_FRESHNESS_CHECK_NAME,
    LATE_DAYS_METADATA_KEY,
    PARTITION_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
)
from ..settings import Settings

FRESHNESS_CHECKS = {FRESHNESS_CHECK_NAME, LANDING_FRESHNESS_CHECK_NAME}
RUN_FAILURES_PER_TICK = 100

Send = Callable[[Mapping[str, Any]], None]


def _days(tags: Mapping[str, str]) -> str | None:
    first, last = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if first and last:
        return first if first == last else f"{first}..{last}"
    return tags.get(PARTITION_TAG)


def new_run_failures(instance: dg.DagsterInstance, after: int | None) -> list[tuple[int, Problem]]:
    """(storage id, problem) of the run failures after ``after``, oldest first."""
    records_filter = dg.RunStatusChangeRecordsFilter(
        dg.DagsterEventType.RUN_FAILURE, after_storage_id=after
    )
    result = instance.fetch_run_status_changes(
        records_filter, limit=RUN_FAILURES_PER_TICK, ascending=True
    )
    found = []
    for record in result.records:
        entry = record.event_log_entry
        run = instance.get_run_by_id(entry.run_id)
        message = entry.dagster_event.message if entry.dagster_event else entry.user_message
        job = run.job_name if run else entry.job_name or "?"
        days = _days(run.tags) if run else None
        found.append((record.storage_id, run_failure(entry.run_id, job, days, message)))
    return found


def newest_run_failure(instance: dg.DagsterInstance) -> int | None:
    records_filter = dg.RunStatusChangeRecordsFilter(dg.DagsterEventType.RUN_FAILURE)
    records = instance.fetch_run_status_changes(records_filter, limit=1).records
    return records[0].storage_id if records else None


def check_problems(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> list[Problem]:
    """The failed checks and the late days, from each check's latest completed result."""
    keys = sorted(check_keys, key=lambda k: k.to_user_string())
    found: list[Problem] = []
    for key, (evaluation, run_id) in latest_results(instance, keys).items():
        if evaluation.passed:
            continue
        asset = key.asset_key.to_user_string()
        if key.name in FRESHNESS_CHECKS:
            late = evaluation.metadata.get(LATE_DAYS_METADATA_KEY)
            found.extend(late_days(asset, key.name, dict(late.value) if late else {}))
        else:
            days = _failing_days(evaluation.metadata)
            found.extend(check_failed(asset, key.name, evaluation.description, run_id, days))
    return found


def _failing_days(metadata: Mapping[str, Any]) -> dict[str, str]:
    """day -> why, from a per-day check result's metadata (``checks/results.py``); empty when the
    result names no day."""
    named = metadata.get(FAILING_DAYS_METADATA_KEY)
    text = str(named.value) if named is not None else ""
    days = [day.strip() for day in text.split(",") if day.strip() and day.strip() != "none"]
    found = {}
    for day in days:
        why = metadata.get(f"day {day}")
        found[day] = str(why.value) if why is not None else ""
    return found


def evaluate_alerts(
    context: dg.SensorEvaluationContext,
    check_keys: Sequence[dg.AssetCheckKey],
    send: Send | None,
) -> dg.SensorResult:
    """One tick; ``send`` None: alerts go to the tick's log."""
    cursor = json.loads(context.cursor) if context.cursor else None
    instance = context.instance
    if cursor is None:
        position, open_before = newest_run_failure(instance), []
        runs: list[tuple[int, Problem]] = []
    else:
        position, open_before = cursor["runs_after"], cursor["open"]
        runs = new_run_failures(instance, position)

    def deliver(problem: Problem) -> bool:
        if send is None:
            context.log.warning(f"ALERT {json.dumps(problem.payload())}")
            return True
        try:
            send(problem.payload())
        except WebhookError as exc:
            context.log.error(f"alert not sent, tried again next tick: {exc}")
            return False
        context.log.info(f"alert sent: {problem.summary}")
        return True

    for storage_id, problem in runs:
        if not deliver(problem):
            break
        position = storage_id
    plan = plan_alerts(open_before, check_problems(instance, check_keys))
    sent = {problem.id for problem in plan.send if deliver(problem)}
    state = {"runs_after": position, "open": sorted(plan.still_open | sent)}
    return dg.SensorResult(cursor=json.dumps(state))


def build_alert_sensor(settings: Settings) -> dg.SensorDefinition:
    url = settings.alert_webhook_url

    @dg.sensor(
        name=ALERT_SENSOR_NAME,
        minimum_interval_seconds=settings.alert_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Sends run failures, failed checks and late days once each, to "
        "AWO_ALERT_WEBHOOK_URL as JSON (without it: to this sensor's log).",
    )
    def alerts_sensor(context: dg.SensorEvaluationContext):
        check_keys = list(context.repository_def.asset_graph.asset_check_keys)
        send = (lambda payload: post_json(url, payload)) if url else None
        return evaluate_alerts(context, check_keys, send)

    return alerts_sensor
