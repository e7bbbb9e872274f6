"""Every environment variable the platform reads, in one place.

Settings are read when asked for (``get_settings()``), never at import, so tests and the CLI can
build a ``Settings`` of their own and pass it down instead of patching the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

StorageKind = Literal["local", "s3"]
TableFormat = Literal["csv", "delta"]
TABLE_FORMATS: tuple[TableFormat, ...] = ("csv", "delta")

DEFAULT_PARTITIONS_START = "2024-01-01"

# The environment variables holding the S3 keys. Resources get the keys as ``dg.EnvVar`` of these
# names (resources/wiring.py), so Dagster shows the names, never the values.
ACCESS_KEY_ID_VARIABLE = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_VARIABLE = "AWS_SECRET_ACCESS_KEY"


@dataclass(frozen=True)
class S3Settings:
    """Where the S3-compatible store is and how to sign requests to it (names as in the lesson)."""

    endpoint: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    warehouse_bucket: str = "warehouse"
    landing_bucket: str = "landing"


@dataclass(frozen=True)
class Settings:
    """The platform's configuration; defaults give the embedded laptop setup."""

    data_dir: Path = Path("data")
    storage: StorageKind = "local"
    partitions_start: str = DEFAULT_PARTITIONS_START
    spark_master: str = "local[2]"
    spark_shuffle_partitions: int = 4
    spark_driver_memory: str = "2g"
    spark_driver_host: str | None = None
    spark_jars_cache: Path = Path.home() / ".cache" / "adventureworks-orchestration" / "ivy"
    spark_class_archive_dir: Path | None = None  # resources/class_archive.py
    sensor_interval_seconds: int = 30
    sensor_lookback_days: int = 7
    s3: S3Settings = field(default_factory=S3Settings)
    # storage: the publish protocol (storage/partitioned_table.py)
    storage_keep_replaced_minutes: float = 60.0
    storage_lease_seconds: float = 120.0
    storage_lease_wait_seconds: float = 600.0
    # landing sensor: exactly-once ingestion (issue 8)
    sensor_reconcile_hours: float = 24.0
    sensor_max_days_per_run: int = 31
    sensor_max_attempts: int = 3
    sensor_retry_backoff_seconds: int = 120
    # Sharing a Spark cluster (ignored by a local master).
    spark_cores_max: int = 2
    spark_executor_memory: str = "1g"
    spark_executor_jars_dir: str | None = None
    # Freshness per day and alerts (checks/freshness.py, sensors/freshness_sensor.py, alerts)
    freshness_landing_deadline: str = "0 2 * * *"
    freshness_deadline: str = "0 6 * * *"
    freshness_lookback_days: int = 7
    freshness_interval_seconds: int = 120
    alert_webhook_url: str | None = None
    alert_interval_seconds: int = 60
    # data quality: row validation, quarantine and checks (issue 9)
    quality_duplicate_lookback_days: int = 7
    quality_max_quarantine_share: float = 0.05
    quality_row_count_band: float = 0.5
    # table format: CSV or Delta per asset (storage/delta_table.py, resources/delta_spark.py)
    table_format: TableFormat = "csv"
    delta_vacuum_after_write: bool = False
    delta_vacuum_retain_hours: float = 168.0

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def uses_s3(self) -> bool:
        return self.storage == "s3"

    @property
    def warehouse_root(self) -> str:
        """Where the IO manager keeps tables: a bucket URI for S3, else the local folder."""
        return f"s3a://{self.s3.warehouse_bucket}" if self.uses_s3 else str(self.warehouse_dir)

    @property
    def landing_root(self) -> str:
        """Where landing files arrive: a bucket URI for S3, else the local folder."""
        return f"s3a://{self.s3.landing_bucket}" if self.uses_s3 else str(self.landing_dir)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if env is None else env
    storage = env.get("AWO_STORAGE", "local").strip().lower()
    if storage not in ("local", "s3"):
        raise ValueError(f"AWO_STORAGE must be 'local' or 's3', got {storage!r}")
    return Settings(
        data_dir=Path(env.get("AWO_DATA_DIR", "data")).expanduser().absolute(),
        storage=storage,  # type: ignore[arg-type]
        partitions_start=env.get("AWO_PARTITIONS_START", DEFAULT_PARTITIONS_START),
        spark_master=env.get("AWO_SPARK_MASTER", "local[2]"),
        spark_shuffle_partitions=int(env.get("AWO_SPARK_SHUFFLE_PARTITIONS", "4")),
        spark_driver_memory=env.get("AWO_SPARK_DRIVER_MEMORY", "2g"),
        spark_driver_host=env.get("AWO_SPARK_DRIVER_HOST") or None,
        spark_jars_cache=Path(
            env.get("AWO_SPARK_JARS_CACHE")
            or Path.home() / ".cache" / "adventureworks-orchestration" / "ivy"
        ).expanduser(),
        spark_class_archive_dir=_optional_path(env.get("AWO_SPARK_CLASS_ARCHIVE_DIR")),
        sensor_interval_seconds=int(env.get("AWO_SENSOR_INTERVAL_SECONDS", "30")),
        sensor_lookback_days=int(env.get("AWO_SENSOR_LOOKBACK_DAYS", "7")),
        s3=S3Settings(
            endpoint=env.get("AWS_ENDPOINT") or None,
            region=env.get("AWS_REGION", "us-east-1"),
            access_key_id=env.get(ACCESS_KEY_ID_VARIABLE) or None,
            secret_access_key=env.get(SECRET_ACCESS_KEY_VARIABLE) or None,
            warehouse_bucket=env.get("AWO_S3_BUCKET", "warehouse"),
            landing_bucket=env.get("AWO_LANDING_BUCKET", "landing"),
        ),
        storage_keep_replaced_minutes=float(env.get("AWO_STORAGE_KEEP_REPLACED_MINUTES", "60")),
        storage_lease_seconds=float(env.get("AWO_STORAGE_LEASE_SECONDS", "120")),
        storage_lease_wait_seconds=float(env.get("AWO_STORAGE_LEASE_WAIT_SECONDS", "600")),
        sensor_reconcile_hours=float(env.get("AWO_SENSOR_RECONCILE_HOURS", "24")),
        sensor_max_days_per_run=int(env.get("AWO_SENSOR_MAX_DAYS_PER_RUN", "31")),
        sensor_max_attempts=int(env.get("AWO_SENSOR_MAX_ATTEMPTS", "3")),
        sensor_retry_backoff_seconds=int(env.get("AWO_SENSOR_RETRY_BACKOFF_SECONDS", "120")),
        spark_cores_max=int(env.get("AWO_SPARK_CORES_MAX", "2")),
        spark_executor_memory=env.get("AWO_SPARK_EXECUTOR_MEMORY", "1g"),
        spark_executor_jars_dir=env.get("AWO_SPARK_EXECUTOR_JARS_DIR") or None,
        freshness_landing_deadline=env.get("AWO_FRESHNESS_LANDING_DEADLINE", "0 2 * * *"),
        freshness_deadline=env.get("AWO_FRESHNESS_DEADLINE", "0 6 * * *"),
        freshness_lookback_days=int(env.get("AWO_FRESHNESS_LOOKBACK_DAYS", "7")),
        freshness_interval_seconds=int(env.get("AWO_FRESHNESS_INTERVAL_SECONDS", "120")),
        alert_webhook_url=env.get("AWO_ALERT_WEBHOOK_URL") or None,
        alert_interval_seconds=int(env.get("AWO_ALERT_INTERVAL_SECONDS", "60")),
        quality_duplicate_lookback_days=int(env.get("AWO_DUPLICATE_LOOKBACK_DAYS", "7")),
        quality_max_quarantine_share=float(env.get("AWO_QUARANTINE_MAX_SHARE", "0.05")),
        quality_row_count_band=float(env.get("AWO_ROW_COUNT_BAND", "0.5")),
        table_format=_table_format(env.get("AWO_TABLE_FORMAT", "csv")),
        delta_vacuum_after_write=_flag(env, "AWO_DELTA_VACUUM_AFTER_WRITE"),
        delta_vacuum_retain_hours=float(env.get("AWO_DELTA_VACUUM_RETAIN_HOURS", "168")),
    )


def _optional_path(value: str | None) -> Path | None:
    return Path(value).expanduser().absolute() if value else None


def _table_format(value: str) -> TableFormat:
    table_format = value.strip().lower()
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"AWO_TABLE_FORMAT must be 'csv' or 'delta', got {value!r}")
    return table_format  # type: ignore[return-value]


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value in ("true", "1", "yes")


@cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return settings_from_env()
