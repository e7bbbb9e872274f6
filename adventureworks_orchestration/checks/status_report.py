"""What ``awo status`` shows: per asset, the newest day written, the late days against the deadline
(landing files too, on the source assets), and the failing checks; and whether all is well (a
check failed at WARN severity is shown, marked ``(warn)``, and is not a reason to exit 1).

``collect_status`` reads the instance and the landing area; ``render`` and ``exit_code`` are pure.
``quarantined`` (asset -> landing rows quarantined in the recent days, ``cli/status.py`` reads
them from the quarantine's manifests) adds a column; without it the column is left out.
"""

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from ..constants import FRESHNESS_CHECK_NAME, LANDING_FRESHNESS_CHECK_NAME
from ..landing.objects import LandingLister
from ..partitions.daily import daily_partitions_def, days_in_range, latest_complete_day
from ..settings import Settings
from .check_results import latest_results
from .freshness import Target, Verdict
from .freshness_check import evaluate_freshness

SENSOR_CHECKS = {FRESHNESS_CHECK_NAME, LANDING_FRESHNESS_CHECK_NAME}  # judged live here


@dataclass
class AssetStatus:
    asset: str
    latest_day: str | None = None
    late: list[Verdict] = field(default_factory=list)  # failed freshness verdicts
    failing_checks: list[str] = field(default_factory=list)
    warning_checks: list[str] = field(default_factory=list)  # failed at WARN: shown, not "bad"
    quarantined: int | None = None

    @property
    def ok(self) -> bool:
        return not self.late and not self.failing_checks


def latest_written_day(
    instance: dg.DagsterInstance, asset: str, settings: Settings, now: dt.datetime
) -> str | None:
    last = latest_complete_day(now, settings.partitions_start)
    if last is None:
        return None
    partitions_def = daily_partitions_def(settings.partitions_start)
    days = days_in_range(settings.partitions_start, last)
    with warnings.catch_warnings():  # Dagster's own call inside warns about its own API
        warnings.filterwarnings("ignore", message=".*fetch_materializations instead.*")
        statuses = instance.get_status_by_partition(
            dg.AssetKey.from_user_string(asset), days, partitions_def
        )
    written = [d for d, s in (statuses or {}).items() if s == dg.AssetPartitionStatus.MATERIALIZED]
    return max(written, default=None)


def collect_status(
    targets: Sequence[Target],
    check_keys: Sequence[dg.AssetCheckKey],
    instance: dg.DagsterInstance,
    lister: LandingLister | None,
    settings: Settings,
    now: dt.datetime,
    quarantined: Callable[[str], int | None] | None = None,
) -> list[AssetStatus]:
    assets = sorted({t.asset for t in targets})
    rows = {a: AssetStatus(a, latest_written_day(instance, a, settings, now)) for a in assets}
    for verdict in evaluate_freshness(targets, instance, lister, settings, now):
        if not verdict.passed:
            rows[verdict.target.asset].late.append(verdict)
    others = [k for k in check_keys if k.name not in SENSOR_CHECKS]
    for key, (evaluation, _) in sorted(latest_results(instance, others).items(), key=str):
        asset = key.asset_key.to_user_string()
        if not evaluation.passed:
            row = rows.setdefault(asset, AssetStatus(asset))
            if evaluation.severity == dg.AssetCheckSeverity.WARN:
                row.warning_checks.append(key.name)
            else:
                row.failing_checks.append(key.name)
    if quarantined is not None:
        for row in rows.values():
            row.quarantined = quarantined(row.asset)
    return [rows[a] for a in sorted(rows)]


def _ago(seconds: float) -> str:
    hours = int(seconds // 3600)
    return (
        f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {int(seconds % 3600) // 60}m"
    )


def _lateness(row: AssetStatus) -> str:
    if not row.late:
        return "on time"
    parts = []
    for verdict in row.late:
        oldest = min(verdict.late)
        what = f"{verdict.target.table} landing file" if verdict.target.table else "day"
        parts.append(
            f"LATE {len(verdict.late)} {what}(s) from {oldest}, "
            f"{_ago(verdict.overdue_seconds(oldest))} past deadline"
        )
    return "; ".join(parts)


def render(rows: Sequence[AssetStatus], now: dt.datetime) -> str:
    header = ["asset", "latest day", "freshness", "failing checks"]
    with_quarantine = any(r.quarantined is not None for r in rows)
    if with_quarantine:
        header.append("quarantined")
    lines = []
    for row in rows:
        line = [
            row.asset,
            row.latest_day or "-",
            _lateness(row),
            ", ".join([*row.failing_checks, *(f"{c} (warn)" for c in row.warning_checks)]) or "-",
        ]
        if with_quarantine:
            line.append("-" if row.quarantined is None else str(row.quarantined))
        lines.append(line)
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(len(header))]
    table = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
        for line in [header, *lines]
    ]
    bad = sum(not r.ok for r in rows)
    verdict = "all on time, no failing check" if not bad else f"{bad} asset(s) late or failing"
    warned = sum(len(r.warning_checks) for r in rows)
    if warned:
        verdict += f"; {warned} check(s) warning"
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([f"status at {stamp}: {verdict}", "", *table])


def exit_code(rows: Sequence[AssetStatus]) -> int:
    """0 when every asset is on time with no failing check, else 1."""
    return 0 if all(r.ok for r in rows) else 1
