"""Jobs: the lab's whole graph as one partitioned job."""

from __future__ import annotations

import dagster as dg

from .constants import ASSET_GROUP_LABS, SAMPLE_JOB_NAME


def build_sample_job() -> dg.UnresolvedAssetJobDefinition:
    """Every asset of group ``labs``; a run covers one day or, with range tags, many.

    Its partitions are the selected assets' (Dagster infers them).
    """
    return dg.define_asset_job(
        SAMPLE_JOB_NAME,
        selection=dg.AssetSelection.groups(ASSET_GROUP_LABS),
        executor_def=dg.in_process_executor,
        description="Source -> transformed -> reports for the bookings lab.",
    )
