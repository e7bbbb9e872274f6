"""The freshness checks in Dagster: ``freshness`` on every daily asset and ``landing_freshness`` on
each ``labs/source/<table>``, their inputs read from the instance and the landing area, and their
verdicts as check evaluations.

Why not ``build_time_partition_freshness_checks`` (dagster 1.13): it looks at ONE partition, the
last one due at the latest deadline tick, so a day missed yesterday passes again once today's day
is written; its result carries no partition; its sensor re-runs a failed check only after ANY
partition of the asset is materialized, launching a run per evaluation; its clock is the process's
(no ``now`` to test with); and it cannot see landing files, which are not assets. What it gets
right, and this keeps: a day counts only when THAT day's partition has a materialization, so a
backfill of an older day does not make the asset look fresh.

The verdicts are reported by ``freshness_sensor`` and the same checks can be executed from the UI.
One evaluation per check carries the per-day verdicts in its metadata (``late_days``: day -> its
deadline, and what changed), not one evaluation per day with the day as its partition: Dagster
1.13 stores a sensor's evaluations with an empty run id under a unique index on (asset, check, run
id, partition), so a second evaluation of the same day (late, then arrived) is refused by the
instance (seen on SQLite, ``tests/test_freshness.py``); evaluations without a partition are not.
"""

import datetime as dt
from collections.abc import Iterable, Sequence

import dagster as dg

from ..constants import (
    FRESHNESS_CHECK_NAME,
    LANDING_FRESHNESS_CHECK_NAME,
    LATE_DAYS_METADATA_KEY,
)
from ..landing.objects import LandingLister
from ..landing.paths import LANDING_TABLES
from ..resources.landing_zone import LandingZone
from ..sensors.instance_records import fetch_all, source_key
from ..sensors.landing_scan import scan_window
from ..settings import Settings
from .deadlines import Deadline
from .freshness import Change, Target, Verdict, verdicts


def freshness_targets(asset_keys: Iterable[dg.AssetKey], settings: Settings) -> list[Target]:
    """``freshness`` on each asset; ``landing_freshness`` on each landing table's source asset."""
    tables = Deadline(settings.freshness_deadline, "AWO_FRESHNESS_DEADLINE")
    landing = Deadline(settings.freshness_landing_deadline, "AWO_FRESHNESS_LANDING_DEADLINE")
    keys = sorted(asset_keys, key=lambda k: k.to_user_string())
    targets = [Target(k.to_user_string(), FRESHNESS_CHECK_NAME, tables) for k in keys]
    for table in LANDING_TABLES:
        key = source_key(table)
        if key in keys:
            name = LANDING_FRESHNESS_CHECK_NAME
            targets.append(Target(key.to_user_string(), name, landing, table))
    return targets


def check_key(target: Target) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey.from_user_string(target.asset), target.check_name)


def written_days(instance: dg.DagsterInstance, asset: str, days: Sequence[str]) -> set[str]:
    """The days of ``days`` that ``asset`` has a materialization FOR (a query per 1000)."""
    if not days:
        return set()
    records_filter = dg.AssetRecordsFilter(
        dg.AssetKey.from_user_string(asset), asset_partitions=list(days)
    )
    return {r.partition_key for r in fetch_all(instance, records_filter) if r.partition_key}


def landed_days(lister: LandingLister, first_day: str, days: Sequence[str]) -> dict[str, set[str]]:
    """Per landing table, the days of ``days`` whose file is listed (one bounded listing each)."""
    found: dict[str, set[str]] = {table: set() for table in LANDING_TABLES}
    if not days:
        return found
    scan = scan_window(lister, first_day, min(days), max(days))
    for day, tables in scan.files.items():
        for table in tables:
            found[table].add(day)
    return found


def evaluate_freshness(
    targets: Sequence[Target],
    instance: dg.DagsterInstance,
    lister: LandingLister | None,
    settings: Settings,
    now: dt.datetime,
) -> list[Verdict]:
    """Every target's verdict at ``now`` (``lister`` None: landing targets are left out)."""
    first, lookback = settings.partitions_start, settings.freshness_lookback_days
    due = {t.key: t.deadline.due_days(now, first, lookback) for t in targets}
    present: dict[str, set[str]] = {}
    landing = [t for t in targets if t.table is not None]
    if landing and lister is not None:
        landing_days = sorted({d for t in landing for d in due[t.key]})
        landed = landed_days(lister, first, landing_days)
        present.update({t.key: landed[t.table] for t in landing if t.table})
    for target in targets:
        if target.table is None:
            present[target.key] = written_days(instance, target.asset, due[target.key])
    wanted = [t for t in targets if t.table is None or lister is not None]
    return verdicts(wanted, present, now, first, lookback)


def summary_metadata(verdict: Verdict, change: Change | None = None) -> dict[str, dg.MetadataValue]:
    checked = verdict.checked
    changed = {}
    if change is not None:
        changed = {
            "newly_late_days": dg.MetadataValue.json(list(change.newly_late)),
            "arrived_days": dg.MetadataValue.json(list(change.arrived)),
        }
    return {
        **changed,
        LATE_DAYS_METADATA_KEY: dg.MetadataValue.json(verdict.late_days_json()),
        "late_day_count": dg.MetadataValue.int(len(verdict.late)),
        "checked_days": dg.MetadataValue.text(f"{checked[0]}..{checked[-1]}" if checked else ""),
        "deadline_cron_utc": dg.MetadataValue.text(verdict.target.deadline.cron),
        "evaluated_at": dg.MetadataValue.timestamp(verdict.now.timestamp()),
    }


def summary_evaluation(verdict: Verdict, change: Change | None = None) -> dg.AssetCheckEvaluation:
    """The verdict as one evaluation, the late days (and ``change``) in its metadata."""
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey.from_user_string(verdict.target.asset),
        check_name=verdict.target.check_name,
        passed=verdict.passed,
        metadata=summary_metadata(verdict, change),
        description=verdict.description,
    )


def build_freshness_checks(
    targets: Sequence[Target], settings: Settings
) -> dg.AssetChecksDefinition:
    """The checks as definitions (so the UI lists them), executable from the UI at its clock."""
    by_key = {check_key(t): t for t in targets}

    @dg.multi_asset_check(
        name="freshness_checks",
        specs=[
            dg.AssetCheckSpec(
                t.check_name,
                asset=dg.AssetKey.from_user_string(t.asset),
                description=(
                    f"Fails while a day's {t.table} landing file has not arrived by "
                    f"{t.deadline.cron} UTC after the day ends."
                    if t.table
                    else f"Fails while a day has not been written by {t.deadline.cron} UTC after "
                    "it ends (that day's own materialization; a backfill of another day does "
                    "not count)."
                ),
            )
            for t in targets
        ],
        can_subset=True,
    )
    def freshness_checks(context: dg.AssetCheckExecutionContext, landing: LandingZone):
        selected = [by_key[k] for k in sorted(context.selected_asset_check_keys, key=str)]
        now = dt.datetime.now(dt.UTC)
        found = evaluate_freshness(selected, context.instance, landing.lister(), settings, now)
        for verdict in found:
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey.from_user_string(verdict.target.asset),
                check_name=verdict.target.check_name,
                passed=verdict.passed,
                metadata=summary_metadata(verdict),
                description=verdict.description,
            )

    return freshness_checks


def freshness_check_keys(targets: Sequence[Target]) -> list[dg.AssetCheckKey]:
    return [check_key(t) for t in targets]
