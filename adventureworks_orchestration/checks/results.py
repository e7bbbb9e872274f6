"""Per-day verdicts (``checks.quality``) as Dagster asset check specs and results.

The data-quality checks run inside the asset's own step (so they see exactly what it wrote) and
are blocking at ERROR severity: when one fails, the step fails after publishing its output, and
no asset downstream of it runs in that run. A range run holds all its days in one step, so ONE
bad day stops the whole range downstream (good days included): Dagster 1.13 blocks per step, not
per partition. The result's metadata names the failing days; re-run the good days on their own,
or fix the bad day's input and re-run the range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

FAILING_DAYS_METADATA_KEY = "failing_days"
DAYS_CHECKED_METADATA_KEY = "days_checked"


def blocking_spec(name: str, asset: dg.AssetKey, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, blocking=True, description=description)


def day_check_result(
    name: str, asset: dg.AssetKey, days: Sequence[str], failing: Mapping[str, str]
) -> dg.AssetCheckResult:
    """One run's verdict on ``days``: passed when no day fails; each failing day in metadata."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "; ".join(f"{day}: {text}" for day, text in sorted(failing.items()))
            if failing
            else f"{len(days)} day(s) checked, none failing"
        ),
        metadata={
            DAYS_CHECKED_METADATA_KEY: len(days),
            FAILING_DAYS_METADATA_KEY: ", ".join(sorted(failing)) or "none",
            **{f"day {day}": text for day, text in sorted(failing.items())},
        },
    )
