"""Running the project's command-line tools (dg, dagster, awo) as real processes in tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from adventureworks_orchestration.dagster_home import create_databases, ensure_dagster_home
from adventureworks_orchestration.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a CLI process for ``settings``, on the project's Dagster home."""
    home = ensure_dagster_home(settings.data_dir / "dagster_home")
    env = {
        **os.environ,
        "AWO_DATA_DIR": str(settings.data_dir),
        "AWO_PARTITIONS_START": settings.partitions_start,
        "AWO_STORAGE_KEEP_REPLACED_MINUTES": str(settings.storage_keep_replaced_minutes),
        "DAGSTER_HOME": str(home),
    }
    if settings.uses_s3:
        env.update(
            AWO_STORAGE="s3",
            AWS_ENDPOINT=settings.s3.endpoint or "",
            AWS_ACCESS_KEY_ID=settings.s3.access_key_id or "",
            AWS_SECRET_ACCESS_KEY=settings.s3.secret_access_key or "",
            AWO_S3_BUCKET=settings.s3.warehouse_bucket,
            AWO_LANDING_BUCKET=settings.s3.landing_bucket,
        )
    env.update(extra)
    return env


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def prepare_instance(home: str | Path) -> None:
    """The Dagster home's databases exist before processes start on it at once."""
    create_databases(Path(home))
