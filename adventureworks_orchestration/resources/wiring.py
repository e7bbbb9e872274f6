"""The resources for a storage choice: the SAME keys for every storage and format, chosen here.

S3 credentials reach the resources only as ``dg.EnvVar`` (Dagster resolves them when a run starts
and shows the variable's name wherever it shows the resource's configured values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from ..constants import IO_MANAGER_KEY, SPARK_RESOURCE_KEY
from ..settings import ACCESS_KEY_ID_VARIABLE, SECRET_ACCESS_KEY_VARIABLE, Settings
from .csv_io_manager import LocalPartitionedCsvIOManager, S3PartitionedCsvIOManager
from .delta_io_manager import LocalPartitionedDeltaIOManager, S3PartitionedDeltaIOManager
from .landing_zone import LandingZone
from .spark import build_spark_resource
from .table_io_manager import TABLE_FORMAT_METADATA_KEY

IO_MANAGERS = {
    ("local", "csv"): LocalPartitionedCsvIOManager,
    ("local", "delta"): LocalPartitionedDeltaIOManager,
    ("s3", "csv"): S3PartitionedCsvIOManager,
    ("s3", "delta"): S3PartitionedDeltaIOManager,
}


def build_resources(
    settings: Settings, assets: Sequence[dg.AssetsDefinition] = ()
) -> dict[str, Any]:
    """``assets``: when any of them is stored as Delta by its own metadata, the Spark session
    gets Delta too (``AWO_TABLE_FORMAT=delta`` gives it to every session)."""
    if settings.uses_s3:
        require_keys_from_environment(settings)
    spark = build_spark_resource(settings, delta=uses_delta(settings, assets))
    storage_options = {  # the quarantine is stored as CSV tables with these options too
        "keep_replaced_minutes": settings.storage_keep_replaced_minutes,
        "lease_seconds": settings.storage_lease_seconds,
        "lease_wait_seconds": settings.storage_lease_wait_seconds,
    }
    delta_options = {
        "delta_vacuum_after_write": settings.delta_vacuum_after_write,
        "delta_vacuum_retain_hours": settings.delta_vacuum_retain_hours,
    }
    io_manager_class = IO_MANAGERS[(settings.storage, settings.table_format)]
    if settings.storage == "s3":
        where = {"s3_bucket": settings.s3.warehouse_bucket}
    else:
        where = {"base_dir": str(settings.warehouse_dir)}
    return {
        SPARK_RESOURCE_KEY: spark,
        IO_MANAGER_KEY: io_manager_class(
            pyspark=spark, **where, **storage_options, **delta_options
        ),
        "landing": LandingZone(
            root=settings.landing_root,
            s3_endpoint=settings.s3.endpoint,
            s3_region=settings.s3.region,
            **_landing_keys(settings),
            warehouse_root=settings.warehouse_root,
            duplicate_lookback_days=settings.quality_duplicate_lookback_days,
            max_quarantine_share=settings.quality_max_quarantine_share,
            row_count_band=settings.quality_row_count_band,
            **storage_options,
        ),
    }


def uses_delta(settings: Settings, assets: Sequence[dg.AssetsDefinition] = ()) -> bool:
    """Whether any asset is stored as Delta: the global format, or an asset's own metadata."""
    if settings.table_format == "delta":
        return True
    return any(
        str(getattr(value, "value", value)) == "delta"
        for asset in assets
        for spec in asset.specs
        if (value := (spec.metadata or {}).get(TABLE_FORMAT_METADATA_KEY)) is not None
    )


def _landing_keys(settings: Settings) -> dict[str, Any]:
    if not settings.uses_s3:
        return {}
    return {
        "s3_access_key_id": dg.EnvVar(ACCESS_KEY_ID_VARIABLE),
        "s3_secret_access_key": dg.EnvVar(SECRET_ACCESS_KEY_VARIABLE),
    }


def require_keys_from_environment(settings: Settings, env: Mapping[str, str] | None = None) -> None:
    """Refuse settings whose S3 keys are not the environment's: the resources would use the
    environment's (they read ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` at run time), not
    the ones these settings carry. The message names the variables, never a value."""
    env = os.environ if env is None else env
    differing = [
        name
        for name, value in (
            (ACCESS_KEY_ID_VARIABLE, settings.s3.access_key_id),
            (SECRET_ACCESS_KEY_VARIABLE, settings.s3.secret_access_key),
        )
        if (env.get(name) or None) != value
    ]
    if differing:
        raise ValueError(
            f"the S3 settings' keys differ from {' and '.join(differing)} in the environment; "
            "resources read the keys from the environment when a run starts, so set them there"
        )
