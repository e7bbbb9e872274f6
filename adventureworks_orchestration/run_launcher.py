"""The deployment's run launcher: Dagster's ``DefaultRunLauncher`` plus a health check, so run
monitoring can fail the runs a code-location restart killed.

``DefaultRunLauncher`` starts each run as a child process of the code location's gRPC server
(``dagster api grpc``). When that server is restarted (a new image, a crash, ``docker compose
restart``) its runs die with it, but their records stay STARTED: ``DefaultRunLauncher`` offers run
monitoring no health check, so they would stay so for ever and hold their queue and pool slots.
This launcher answers the health check by asking the run's server which runs it is executing
(gRPC ``GetCurrentRuns``): a server that answers without the run means its worker is gone, and
the monitoring daemon marks the run failed. A server that does not answer is given the benefit of
the doubt (it may be restarting; it is asked again on the next monitoring pass).

Dagster has no public API for this question, so three names come from its private modules (the
gRPC client, its reply type and the tag the launcher records the server's address in); they are
pinned with the rest of the Dagster family.
"""

from __future__ import annotations

import json

import dagster as dg
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG
from dagster._grpc.client import DagsterGrpcClient
from dagster._grpc.types import GetCurrentRunsResult
from dagster._serdes import deserialize_value


class CodeServerRunLauncher(dg.DefaultRunLauncher):
    """Launches runs like ``DefaultRunLauncher``; tells run monitoring whether each still runs."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        info = run.tags.get(GRPC_INFO_TAG)
        if not info:
            # Not launched through a code server (e.g. `dg launch` in its own process).
            return CheckRunHealthResult(WorkerStatus.RUNNING, "not launched by a code server")
        address = json.loads(info)
        client = DagsterGrpcClient(
            port=address.get("port"),
            socket=address.get("socket"),
            host=address.get("host", "localhost"),
            use_ssl=bool(address.get("use_ssl", False)),
        )
        try:
            current = deserialize_value(client.get_current_runs(), GetCurrentRunsResult)
        except Exception as exc:  # unreachable or restarting: ask again next time
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"code server not answering: {exc}")
        if run.run_id in current.current_runs:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.NOT_FOUND,
            f"the code server at {address.get('host')}:{address.get('port')} is not running it "
            "(restarted since the run was launched?)",
        )
