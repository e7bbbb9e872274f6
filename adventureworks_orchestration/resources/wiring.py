"""The resources for a storage choice: the SAME keys for every storage, chosen in one place."""

from __future__ import annotations

from typing import Any

from ..constants import IO_MANAGER_KEY, SPARK_RESOURCE_KEY
from ..settings import Settings
from .csv_io_manager import LocalPartitionedCsvIOManager, S3PartitionedCsvIOManager
from .landing_zone import LandingZone
from .spark import build_spark_resource


def build_resources(settings: Settings) -> dict[str, Any]:
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
            s3_access_key_id=settings.s3.access_key_id,
            s3_secret_access_key=settings.s3.secret_access_key,
            warehouse_root=settings.warehouse_root,
            duplicate_lookback_days=settings.quality_duplicate_lookback_days,
            max_quarantine_share=settings.quality_max_quarantine_share,
            **storage_options,
        ),
    }
