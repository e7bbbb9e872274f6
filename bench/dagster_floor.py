"""Dagster alone: the platform's own assets and checks, with bodies that do no work.

``bench/backfill.py`` launches this file (variant f) the way it launches the platform (a): the
same Dagster home (so the same event log storage), the same range in one run, the same executor
and run logger, and the same asset keys, dependencies, partitions, backfill policy and checks
(the assets' own and those defined apart), taken from the platform's own definitions so the
graph's shape is stated once. Each step only reports a materialization per selected asset
(Dagster adds one per day of the range) and a passing result per selected check: no Spark
session is started, nothing is read or written.

What f measures is therefore what a run of this graph costs before any data work: the CLI and
the definitions' load (the platform's imports included), the run's creation with its planned
events, the steps' bookkeeping and the materialization events. It is a floor under a, not a
variant of it: a also reports metadata per day and starts Spark.

Run: ``dagster asset materialize -f bench/dagster_floor.py --select 'group:labs'
--partition-range FIRST...LAST`` (the bench does it for you).
"""

from __future__ import annotations

import dagster as dg

from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.run_console import CONSOLE_LOGGER_KEY, run_console_logger
from adventureworks_orchestration.settings import get_settings


def no_work_copy(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """``assets_def``'s keys, dependencies, partitions and checks, with a body that only reports
    what it was asked for."""

    @dg.multi_asset(
        name=assets_def.node_def.name,
        specs=list(assets_def.specs),
        check_specs=list(assets_def.check_specs),
        can_subset=True,
        backfill_policy=assets_def.backfill_policy,
    )
    # no annotation: with the future import it would be a string, which Dagster refuses
    def no_work(context):
        for key in sorted(context.selected_asset_keys, key=str):
            yield dg.MaterializeResult(asset_key=key)
        yield from _passed(context.selected_asset_check_keys)

    return no_work


def no_work_checks(checks_def: dg.AssetChecksDefinition) -> dg.AssetChecksDefinition:
    """``checks_def``'s checks (those defined apart from their assets), all passing at once."""

    @dg.multi_asset_check(
        name=checks_def.node_def.name, specs=list(checks_def.check_specs), can_subset=True
    )
    def no_work(context):
        yield from _passed(context.selected_asset_check_keys)

    return no_work


def _passed(checks) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(asset_key=check.asset_key, check_name=check.name, passed=True)
        for check in sorted(checks, key=str)
    ]


def _no_work_definitions() -> dg.Definitions:
    platform = build_definitions(get_settings())
    return dg.Definitions(
        assets=[no_work_copy(assets_def) for assets_def in platform.assets],
        asset_checks=[no_work_checks(checks_def) for checks_def in platform.asset_checks],
        executor=dg.in_process_executor,
        loggers={CONSOLE_LOGGER_KEY: run_console_logger},
    )


defs = _no_work_definitions()  # the one Definitions at module scope (Dagster allows no second)
