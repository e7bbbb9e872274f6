"""Running the lab's assets in a real Dagster instance, the way the platform runs them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import dagster as dg

from adventureworks_orchestration.assets.sample import build_sample_assets
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.partitions import daily_partitions_def
from adventureworks_orchestration.resources.wiring import build_resources
from adventureworks_orchestration.settings import Settings

from .storage import StorageView

SOURCE = ["labs/source/bookings", "labs/source/facilities", "labs/source/members"]
ALL_ASSETS = [
    *SOURCE,
    "labs/transformed/bookings",
    "labs/transformed/facilities",
    "labs/transformed/members",
    "labs/reports/bookings_per_member",
    "labs/reports/revenue_per_facility",
]


def materialize_range(
    settings: Settings,
    instance: dg.DagsterInstance,
    first: str,
    last: str,
    selection: Sequence[str] | None = None,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """One run over [first, last] (a single-run backfill), optionally for some assets only."""
    assets = build_sample_assets(daily_partitions_def(settings.partitions_start))
    return dg.materialize(
        assets,
        selection=[dg.AssetKey.from_user_string(key) for key in selection] if selection else None,
        instance=instance,
        resources=build_resources(settings),
        tags={
            "dagster/asset_partition_range_start": first,
            "dagster/asset_partition_range_end": last,
        },
        raise_on_error=raise_on_error,
    )


def day_folders(warehouse: StorageView, asset: str) -> list[str]:
    return [name for name in warehouse.folders(asset) if not name.startswith("_")]


def landing_rows(landing: StorageView, table: str, day: str) -> int:
    """Data rows of one landing file, read back from the storage itself."""
    text = landing.read_text(landing_file_path(table, day))
    return sum(1 for _ in csv.reader(io.StringIO(text))) - 1


def materialized_rows(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, int]:
    """Rows per day as recorded in the materialization events' metadata."""
    key = dg.AssetKey.from_user_string(asset)
    return {
        event.materialization.partition: event.materialization.metadata["dagster/row_count"].value
        for event in result.get_asset_materialization_events()
        if event.materialization.asset_key == key
    }
