"""A range from the command line against the deployment's instance: ``dg launch`` run the way
``docker compose exec code-location dg launch ...`` runs it."""

from __future__ import annotations

import pytest

from ..conftest import write_landing
from ..pipeline_helpers import ALL_ASSETS
from .graphql import materialized, run_events, runs

pytestmark = pytest.mark.deployment

DAYS = ["2024-03-06", "2024-03-07"]


def test_dg_launch_partition_range_is_one_run_in_the_deployed_instance(
    deployment, deployed_settings, spark_cluster
):
    write_landing(deployed_settings, DAYS, bookings_per_day=50)

    launched = deployment.exec(
        "code-location",
        ["dg", "launch", "--assets", "group:labs", "--partition-range", f"{DAYS[0]}...{DAYS[-1]}"],
    )

    assert launched.returncode == 0, launched.stderr[-3000:]
    # The webserver shows it: it is in the deployment's PostgreSQL, not a temporary instance.
    found = [
        run
        for run in runs(deployment.graphql)
        if run["tags"].get("dagster/asset_partition_range_start") == DAYS[0]
        and run["tags"].get("dagster/asset_partition_range_end") == DAYS[-1]
    ]
    assert [run["status"] for run in found] == ["SUCCESS"]
    assert materialized(deployment.graphql, found[0]["runId"]) == {
        (asset, day) for asset in ALL_ASSETS for day in DAYS
    }
    messages = [
        event.get("message", "") for event in run_events(deployment.graphql, found[0]["runId"])
    ]
    assert any(" ready in " in m and f"({spark_cluster.master_url}, " in m for m in messages)
