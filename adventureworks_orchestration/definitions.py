"""Wires the platform together: assets, jobs, schedules and resources for the current settings."""

from __future__ import annotations

import warnings

import dagster as dg

from .assets.sample import build_sample_assets
from .checks.freshness_check import (
    build_freshness_checks,
    freshness_check_keys,
    freshness_targets,
)
from .checks.landing_ingestion import build_landing_ingestion_check
from .jobs import build_sample_job
from .partitions import daily_partitions_def
from .resources.java import require_java
from .resources.wiring import build_resources
from .run_console import CONSOLE_LOGGER_KEY, run_console_logger
from .schedules import build_schedules
from .sensors.alert_sensor import build_alert_sensor
from .sensors.freshness_sensor import build_freshness_sensor
from .sensors.landing_sensor import build_landing_sensor
from .settings import Settings, get_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything for ``settings``; tests call this with settings of their own."""
    require_java()
    partitions_def = daily_partitions_def(settings.partitions_start)
    assets = build_sample_assets(partitions_def, settings.table_format)
    targets = freshness_targets([key for a in assets for key in a.keys], settings)
    sample_job = build_sample_job(sensor_checks=freshness_check_keys(targets))
    return dg.Definitions(
        assets=assets,
        asset_checks=[build_landing_ingestion_check(), build_freshness_checks(targets, settings)],
        jobs=[sample_job],
        schedules=build_schedules(sample_job, settings.partitions_start),
        sensors=[
            build_landing_sensor(sample_job, settings),
            build_freshness_sensor(targets, settings),
            build_alert_sensor(settings),
        ],
        resources=build_resources(settings, assets),
        executor=dg.in_process_executor,
        loggers={CONSOLE_LOGGER_KEY: run_console_logger},
    )


@dg.definitions
def defs() -> dg.Definitions:
    # Dagster's own parser of `--assets group:labs` passes a beta parameter and warns about it
    # in every `dg launch`; the warning is about Dagster's code, not a choice of ours.
    warnings.filterwarnings("ignore", message=".*include_sources.*", category=dg.BetaWarning)
    return build_definitions(get_settings())
