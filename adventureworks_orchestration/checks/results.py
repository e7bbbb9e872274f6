"""Per-day verdicts (``checks.quality``) as Dagster asset check specs and results.

The data-quality checks run inside the asset's own step (so they see exactly what it wrote) and
are blocking at ERROR severity: when one fails, the step fails after publishing its output, and
no asset downstream of it runs in that run. A range run holds all its days in one step, so ONE
bad day stops the whole range downstream (good days included): Dagster 1.13 blocks per step, not
per partition. The result's metadata names the failing days; re-run the good days on their own,
or fix the bad day's input and re-run the range. WARN-severity checks (``row_count_in_band``)
never block: a warning is recorded and everything downstream runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

FAILING_DAYS_METADATA_KEY = "failing_days"
DAYS_CHECKED_METADATA_KEY = "days_checked"
DAYS_NOT_JUDGED_METADATA_KEY = "days_not_judged"
COLUMNS_METADATA_KEY = "differing_columns"


def blocking_spec(name: str, asset: dg.AssetKey, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, blocking=True, description=description)


def warning_spec(name: str, asset: dg.AssetKey, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name, asset=asset, blocking=False, description=description)


def day_check_result(
    name: str,
    asset: dg.AssetKey,
    days: Sequence[str],
    failing: Mapping[str, str],
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
    metadata: Mapping[str, str | int] | None = None,
) -> dg.AssetCheckResult:
    """One run's verdict on ``days``: passed when no day fails; each failing day in metadata
    (and ``metadata``, e.g. the days not judged)."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=not failing,
        severity=severity,
        description=(
            "; ".join(f"{day}: {text}" for day, text in sorted(failing.items()))
            if failing
            else f"{len(days)} day(s) checked, none failing"
        ),
        metadata={
            DAYS_CHECKED_METADATA_KEY: len(days),
            FAILING_DAYS_METADATA_KEY: ", ".join(sorted(failing)) or "none",
            **{f"day {day}": text for day, text in sorted(failing.items())},
            **(metadata or {}),
        },
    )


def schema_check_result(
    name: str, asset: dg.AssetKey, differences: Mapping[str, str]
) -> dg.AssetCheckResult:
    """An output's schema against its contract (one verdict for every day of the run)."""
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=not differences,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "; ".join(f"{column}: {text}" for column, text in sorted(differences.items()))
            if differences
            else "columns and types as in the contract"
        ),
        metadata={
            COLUMNS_METADATA_KEY: ", ".join(sorted(differences)) or "none",
            **{f"column {column}": text for column, text in sorted(differences.items())},
        },
    )
