"""The platform's Dagster layer with no data work: its own definitions, with step bodies that
start no Spark and read or write nothing.

``bench/backfill.py`` launches this file (variant f) much as it launches the platform (a):
``dg launch -f``, the same selection and range in one run, a Dagster home made the same way (so
the same event log storage). The steps are the platform's, built by the platform's
``build_definitions`` as a's run builds them: asset keys, dependencies, partitions,
backfill policy, the steps (which keys and checks each one holds), the checks (the assets' own
and those defined apart from them), the executor and the run logger. Each step only reports a
materialization per selected asset (Dagster adds one per day of the range) and a passing result
per selected check.

What f measures is what a run of this graph costs outside its data work, one thing after the
other: the command line and the definitions' load (the platform's imports and its Java check
included), the run's creation with its planned events, the steps' bookkeeping and the
materialization events. It leaves out what a adds: resources (no Spark session, no pool slots
claimed for the steps' concurrency pools), inputs loaded, metadata per day, the jobs, schedules
and sensors of the platform's repository, and ``dg``'s lookup of the project (``-f`` skips it).
So it is a floor under that part of a, not a floor for any platform: one that started Spark while
Dagster loads, or that stored fewer events, could go below it.

Run: ``dg launch -f bench/dagster_floor.py --assets 'group:labs' --partition-range FIRST...LAST``
(the bench does it for you).
"""

from __future__ import annotations

import warnings

import dagster as dg

from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.settings import get_settings


def no_work_definitions(platform: dg.Definitions) -> dg.Definitions:
    """``platform`` with every asset and check step's body replaced by one that reports what it
    was asked for; everything else as it was."""
    return dg.Definitions(
        assets=[_no_work_assets(assets_def) for assets_def in platform.assets],
        asset_checks=[_no_work_checks(checks_def) for checks_def in platform.asset_checks],
        executor=platform.executor,
        loggers=platform.loggers,
    )


def _no_work_assets(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=assets_def.node_def.name,
        specs=list(assets_def.specs),
        check_specs=list(assets_def.check_specs),
        can_subset=assets_def.can_subset,
        backfill_policy=assets_def.backfill_policy,
    )
    # no annotation: with the future import it would be a string, which Dagster refuses
    def no_work(context):
        for key in sorted(context.selected_asset_keys, key=str):
            yield dg.MaterializeResult(asset_key=key)
        yield from _passed(context.selected_asset_check_keys)

    return no_work


def _no_work_checks(checks_def: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=checks_def.node_def.name,
        specs=list(checks_def.check_specs),
        can_subset=checks_def.can_subset,
    )
    def no_work(context):
        yield from _passed(context.selected_asset_check_keys)

    return no_work


def _passed(checks) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)
        for check in sorted(checks, key=str)
    ]


@dg.definitions
def defs() -> dg.Definitions:
    """Built when Dagster loads them, as the platform's own ``defs`` are (``definitions.py``),
    with the same beta notice silenced."""
    warnings.filterwarnings("ignore", message=".*include_sources.*", category=dg.BetaWarning)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)
        return no_work_definitions(build_definitions(get_settings()))
