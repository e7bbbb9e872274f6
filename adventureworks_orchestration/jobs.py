"""Jobs: the lab's whole graph as one partitioned job."""

from __future__ import annotations

import dagster as dg

from .checks.landing_ingestion import landing_ingestion_check_keys
from .constants import ASSET_GROUP_LABS, SAMPLE_JOB_NAME


def build_sample_job() -> dg.UnresolvedAssetJobDefinition:
    """Every asset of group ``labs``; a run covers one day or, with range tags, many.

    Its partitions are the selected assets' (Dagster infers them). The ``landing_ingestion``
    checks are left out: the landing sensor reports them, a run has nothing to add.
    """
    return dg.define_asset_job(
        SAMPLE_JOB_NAME,
        selection=dg.AssetSelection.groups(ASSET_GROUP_LABS)
        - dg.AssetSelection.checks(*landing_ingestion_check_keys()),
        executor_def=dg.in_process_executor,
        description="Source -> transformed -> reports for the bookings lab.",
    )
