"""The freshness sensor: every ``AWO_FRESHNESS_INTERVAL_SECONDS`` it judges every freshness check
at the current time and reports what changed as check evaluations (no run is started).

For each target whose late days changed since the last tick (and for every target on the first
tick) it reports one evaluation: failed while any day is late, its metadata naming the late days
with their deadlines and the days that became late or arrived since the last report; and a log
line per such day. The cursor holds each target's late days. Decisions are in
``checks/freshness.py``; why one evaluation rather than one per day: ``checks/freshness_check.py``.

What a tick costs: one instance query per asset (its materializations for the checked days) and
one bounded landing listing per landing table (``scan_window``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import dagster as dg

from ..checks.freshness import Target, changes, late_state
from ..checks.freshness_check import evaluate_freshness, summary_evaluation
from ..constants import FRESHNESS_SENSOR_NAME
from ..landing.listing import build_landing_lister
from ..landing.objects import LandingLister
from ..settings import Settings


def evaluate_freshness_tick(
    context: dg.SensorEvaluationContext,
    targets: Sequence[Target],
    lister: LandingLister,
    settings: Settings,
    now: dt.datetime,
) -> dg.SensorResult:
    current = evaluate_freshness(targets, context.instance, lister, settings, now)
    previous = json.loads(context.cursor) if context.cursor else None
    events: list[dg.AssetCheckEvaluation] = []
    for change in changes(previous, current):
        verdict = change.verdict
        for day in change.newly_late:
            context.log.warning(f"LATE {verdict.target.key}: {verdict.day_description(day)}")
        for day in change.arrived:
            context.log.info(f"{verdict.target.key}: {verdict.day_description(day)}")
        events.append(summary_evaluation(verdict, change))
    if not events:
        context.log.info("no change in freshness since the last tick")
    return dg.SensorResult(asset_events=events, cursor=json.dumps(late_state(current)))


def build_freshness_sensor(targets: Sequence[Target], settings: Settings) -> dg.SensorDefinition:
    @dg.sensor(
        name=FRESHNESS_SENSOR_NAME,
        minimum_interval_seconds=settings.freshness_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Reports the freshness and landing_freshness checks: which days are late "
        "against their deadline (per day, and a summary).",
    )
    def freshness_sensor(context: dg.SensorEvaluationContext):
        lister = build_landing_lister(settings)
        return evaluate_freshness_tick(context, targets, lister, settings, dt.datetime.now(dt.UTC))

    return freshness_sensor
