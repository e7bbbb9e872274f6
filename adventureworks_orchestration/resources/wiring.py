"""The resources for a storage choice: the SAME keys for every storage, chosen in one place.

S3 credentials reach the resources only as ``dg.EnvVar`` (Dagster resolves them when a run starts
and shows the variable's name wherever it shows the resource's configured values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from ..constants import IO_MANAGER_KEY, SPARK_RESOURCE_KEY
from ..settings import ACCESS_KEY_ID_VARIABLE, SECRET_ACCESS_KEY_VARIABLE, Settings
from .csv_io_manager import LocalPartitionedCsvIOManager, S3PartitionedCsvIOManager
from .landing_zone import LandingZone
from .spark import build_spark_resource


def build_resources(settings: Settings) -> dict[str, Any]:
    if settings.uses_s3:
        require_keys_from_environment(settings)
    spark = build_spark_resource(settings)
    storage_options = {
        "keep_replaced_minutes": settings.storage_keep_replaced_minutes,
        "lease_seconds": settings.storage_lease_seconds,
        "lease_wait_seconds": settings.storage_lease_wait_seconds,
    }
    if settings.storage == "s3":
        io_manager = S3PartitionedCsvIOManager(
            pyspark=spark, s3_bucket=settings.s3.warehouse_bucket, **storage_options
        )
    else:
        io_manager = LocalPartitionedCsvIOManager(
            pyspark=spark, base_dir=str(settings.warehouse_dir), **storage_options
        )
    return {
        SPARK_RESOURCE_KEY: spark,
        IO_MANAGER_KEY: io_manager,
        "landing": LandingZone(
            root=settings.landing_root,
            s3_endpoint=settings.s3.endpoint,
            s3_region=settings.s3.region,
            **_landing_keys(settings),
        ),
    }


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
