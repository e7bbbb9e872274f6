"""The deployed webserver's GraphQL API, as the UI uses it (same mutations, same inputs)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOCATION = "adventureworks_orchestration"
REPOSITORY = "__repository__"
LANDING_SENSOR = "landing_files_sensor"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

# The mutation the UI's "Launch backfill" sends (ui-core LAUNCH_PARTITION_BACKFILL_MUTATION).
LAUNCH_PARTITION_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionKeysNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""


class GraphQLError(RuntimeError):
    pass


@dataclass(frozen=True)
class GraphQL:
    url: str

    def __call__(self, query: str, **variables: object) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", body, {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            raise GraphQLError(f"HTTP {error.code}: {error.read().decode()[:2000]}") from None
        if answer.get("errors"):
            raise GraphQLError(json.dumps(answer["errors"])[:2000])
        return answer["data"]


def asset_keys(keys: Iterable[str]) -> list[dict]:
    return [{"path": key.split("/")} for key in keys]


def launch_backfill(api: GraphQL, keys: Sequence[str], partitions: Sequence[str]) -> str:
    """What the asset graph's Materialize -> range -> Launch backfill sends for pure assets."""
    params = {
        "tags": [],
        "assetSelection": asset_keys(keys),
        "partitionNames": list(partitions),
        "fromFailure": False,
    }
    result = api(LAUNCH_PARTITION_BACKFILL, backfillParams=params)["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise GraphQLError(f"backfill not launched: {result}")
    return result["backfillId"]


def runs(api: GraphQL, tags: dict[str, str] | None = None) -> list[dict]:
    query = """
    query($filter: RunsFilter) { runsOrError(filter: $filter) {
      ... on Runs { results { runId status tags { key value } } }
    } }"""
    filter_ = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
    results = api(query, filter=filter_)["runsOrError"]["results"]
    for run in results:
        run["tags"] = {tag["key"]: tag["value"] for tag in run["tags"]}
    return results


def run(api: GraphQL, run_id: str) -> dict:
    query = """
    query($id: ID!) { runOrError(runId: $id) {
      __typename ... on Run { runId status tags { key value } }
    } }"""
    found = api(query, id=run_id)["runOrError"]
    found["tags"] = {tag["key"]: tag["value"] for tag in found.get("tags", [])}
    return found


def run_events(api: GraphQL, run_id: str) -> list[dict]:
    """Every event of a run, page by page."""
    query = """
    query($id: ID!, $cursor: String) { logsForRun(runId: $id, afterCursor: $cursor, limit: 1000) {
      __typename
      ... on EventConnection { cursor hasMore events {
        __typename
        ... on MessageEvent { message timestamp }
        ... on MaterializationEvent { assetKey { path } partition }
        ... on LogsCapturedEvent { fileKey stepKeys }
      } }
    } }"""
    events: list[dict] = []
    cursor = None
    while True:
        page = api(query, id=run_id, cursor=cursor)["logsForRun"]
        events += page["events"]
        cursor = page["cursor"]
        if not page["hasMore"]:
            return events


def materialized(api: GraphQL, run_id: str) -> set[tuple[str, str]]:
    """(asset key, day) for every materialization the run recorded."""
    return {
        ("/".join(event["assetKey"]["path"]), event["partition"])
        for event in run_events(api, run_id)
        if event["__typename"] == "MaterializationEvent"
    }


def captured_logs(api: GraphQL, run_id: str, file_key: str) -> dict:
    query = """
    query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }"""
    return api(query, key=[run_id, "compute_logs", file_key])["capturedLogs"]


def wait_for_run(api: GraphQL, run_id: str, timeout: float, statuses=FINISHED) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = run(api, run_id)
        if found.get("status") in statuses:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {found.get('status')} after {timeout:.0f}s")
        time.sleep(2)


def sensor_selector(name: str = LANDING_SENSOR) -> dict:
    return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": name}


def sensor_state(api: GraphQL, name: str = LANDING_SENSOR) -> dict:
    query = """
    query($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
      __typename ... on Sensor { sensorState { id status } }
    } }"""
    return api(query, selector=sensor_selector(name))["sensorOrError"]["sensorState"]


def sensor_ticks(api: GraphQL, limit: int = 10, name: str = LANDING_SENSOR) -> list[dict]:
    """The sensor's latest ticks, newest first, with what each logged (the UI's tick history)."""
    query = """
    query($selector: SensorSelector!, $limit: Int) { sensorOrError(sensorSelector: $selector) {
      __typename ... on Sensor { sensorState { ticks(limit: $limit) {
        status timestamp runIds skipReason error { message }
        logEvents { events { level message } }
      } } }
    } }"""
    state = api(query, selector=sensor_selector(name), limit=limit)["sensorOrError"]["sensorState"]
    return state["ticks"]


def describe_ticks(ticks: list[dict]) -> str:
    """One line per tick, then its log lines: what a failed sensor test shows."""
    lines = []
    for tick in ticks:
        error = (tick.get("error") or {}).get("message", "")
        lines.append(
            f"tick {tick['timestamp']:.0f} {tick['status']} runs={tick['runIds']} "
            f"skip={tick['skipReason'] or ''} {error[:500]}"
        )
        lines += [f"    {e['level']} {e['message']}" for e in tick["logEvents"]["events"]]
    return "\n".join(lines)


def set_sensor_running(api: GraphQL, running: bool, name: str = LANDING_SENSOR) -> None:
    """What the UI's sensor toggle sends."""
    if running:
        query = """
        mutation($selector: SensorSelector!) { startSensor(sensorSelector: $selector) {
          __typename ... on PythonError { message } } }"""
        api(query, selector=sensor_selector(name))
    else:
        query = """
        mutation($id: String!) { stopSensor(id: $id) {
          __typename ... on PythonError { message } } }"""
        api(query, id=sensor_state(api, name)["id"])
    status = sensor_state(api, name)["status"]
    if status != ("RUNNING" if running else "STOPPED"):
        raise GraphQLError(f"sensor {name} is {status}")


def location_loaded(api: GraphQL) -> bool:
    query = """
    { workspaceOrError { __typename ... on Workspace { locationEntries {
        name loadStatus locationOrLoadError { __typename ... on PythonError { message } }
    } } } }"""
    entries = api(query)["workspaceOrError"]["locationEntries"]
    for entry in entries:
        error = entry["locationOrLoadError"] or {}
        if error.get("__typename") == "PythonError":
            raise GraphQLError(f"code location {entry['name']} failed to load: {error['message']}")
    return any(
        entry["name"] == LOCATION
        and entry["loadStatus"] == "LOADED"
        and (entry["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"
        for entry in entries
    )


def unhealthy_daemons(api: GraphQL) -> list[str]:
    query = """
    { instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"""
    statuses = api(query)["instance"]["daemonHealth"]["allDaemonStatuses"]
    return [s["daemonType"] for s in statuses if s["required"] and not s["healthy"]]


def claimed_slots(api: GraphQL) -> dict[str, list[str]]:
    """Pool -> run ids holding one of its slots."""
    query = "{ instance { concurrencyLimits { concurrencyKey claimedSlots { runId } } } }"
    limits = api(query)["instance"]["concurrencyLimits"]
    return {
        limit["concurrencyKey"]: [slot["runId"] for slot in limit["claimedSlots"]]
        for limit in limits
    }


def check_evaluations(api: GraphQL, key: str, check_name: str, limit: int = 10) -> list[dict]:
    """The newest evaluations of an asset check (the UI's check history), newest first; each with
    the ``runId`` that reported it ("" for a sensor's report)."""
    answer = api(
        """
        query Checks($assetKey: AssetKeyInput!, $checkName: String!, $limit: Int!) {
          assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: $limit) {
            runId
            timestamp
            evaluation {
              success
              description
              metadataEntries { label ... on JsonMetadataEntry { jsonString } }
            }
          }
        }
        """,
        assetKey={"path": key.split("/")},
        checkName=check_name,
        limit=limit,
    )
    return [
        {**e["evaluation"], "runId": e["runId"]}
        for e in answer["assetCheckExecutions"]
        if e["evaluation"]
    ]
