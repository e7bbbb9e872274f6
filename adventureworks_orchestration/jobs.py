"""Jobs: the lab's whole graph as one partitioned job."""

from __future__ import annotations

import dagster as dg

from .constants import ASSET_GROUP_LABS, SAMPLE_JOB_NAME


def build_sample_job(partitions_def: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    """Every asset of group ``labs``; a run covers one day or, with range tags, many."""
    return dg.define_asset_job(
        SAMPLE_JOB_NAME,
        selection=dg.AssetSelection.groups(ASSET_GROUP_LABS),
        partitions_def=partitions_def,
        executor_def=dg.in_process_executor,
        description="Source -> transformed -> reports for the bookings lab.",
    )
