"""The S3 keys appear nowhere Dagster or the platform shows or stores them: ``dg dev`` on
127.0.0.1 with the keys of the test SeaweedFS server (the secrets here), its GraphQL API (every
top-level resource's configured values, nested ones included, and the workspace), a run on
SeaweedFS launched with ``dg launch`` (its config, tags and event log through GraphQL), every file
of the Dagster home (run and event storage, captured logs, sensor cursors) and of the data folder
(Spark's log), and the output of ``dg launch`` and ``awo status``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.request
import uuid
from pathlib import Path

from adventureworks_orchestration.devtools.dagster_dev import start_dagster_dev
from adventureworks_orchestration.storage.s3 import ensure_buckets

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env, prepare_instance
from .conftest import ACCESS_KEY, SECRET_KEY, make_settings, write_landing

DAY = "2024-03-01"
ASSET = "labs/source/bookings"
SECRETS = (ACCESS_KEY, SECRET_KEY)

RESOURCES = """
query ($selector: RepositorySelector!) {
  allTopLevelResourceDetailsOrError(repositorySelector: $selector) {
    __typename
    ... on ResourceDetailsList { results { name configuredValues { key value type } } }
  }
}
"""
WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on RepositoryLocation { name repositories { name
      jobs { name } sensors { name } schedules { name } } }
    ... on PythonError { message } } } } } }
"""
RUNS = """
{ runsOrError { __typename ... on Runs { results { runId status runConfigYaml
    tags { key value } } } } }
"""
EVENTS = """
query ($runId: ID!) { logsForRun(runId: $runId) { __typename
  ... on EventConnection { events { __typename
    ... on MessageEvent { message level }
    ... on MaterializationEvent { assetKey { path } metadataEntries { label description
      ... on TextMetadataEntry { text } ... on PathMetadataEntry { path }
      ... on JsonMetadataEntry { jsonString } } } } } } }
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def _leaks(text: str) -> list[str]:
    names = ("access key", "secret key")
    return [name for name, key in zip(names, SECRETS, strict=True) if key in text]


def _files_holding_a_key(folder: Path) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(key.encode() in data for key in SECRETS):
                found.append(str(path))
    return found


def test_the_s3_keys_appear_nowhere_in_the_ui_run_records_or_logs(tmp_path, s3_store):
    suffix = uuid.uuid4().hex[:8]
    store = s3_store.__class__(
        endpoint=s3_store.endpoint,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        warehouse_bucket=f"wh-secrets-{suffix}",
        landing_bucket=f"land-secrets-{suffix}",
    )
    settings = make_settings(tmp_path / "data", storage="s3", s3=store)
    ensure_buckets(store, [store.warehouse_bucket, store.landing_bucket])
    write_landing(settings, [DAY], bookings_per_day=20, tables=["bookings"])
    env = cli_env(settings)
    assert env["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY, "the processes get the real keys"
    home = Path(env["DAGSTER_HOME"])
    prepare_instance(home)
    log_path = tmp_path / "dg-dev.log"
    with open(log_path, "w") as log:
        server = start_dagster_dev(PROJECT_ROOT, home, port=_free_port(), env=env, output=log)
        try:
            # the run and the status need no webserver: they run while it starts
            pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
            launch = subprocess.Popen(
                [bin_path("dg"), "launch", "--assets", ASSET, "--partition", DAY],
                cwd=PROJECT_ROOT,
                env=env,
                **pipes,
            )
            awo = subprocess.Popen([bin_path("awo"), "status"], env=env, **pipes)
            server.wait_until_serving()
            launched = launch.communicate(timeout=300)[0]
            assert launch.returncode == 0, launched[-3000:]
            status = awo.communicate(timeout=120)[0]

            workspace = _graphql(server.url, WORKSPACE)
            entry = workspace["workspaceOrError"]["locationEntries"][0]
            location = entry["locationOrLoadError"]
            assert location["__typename"] == "RepositoryLocation", location
            selector = {
                "repositoryLocationName": location["name"],
                "repositoryName": location["repositories"][0]["name"],
            }
            resources = _graphql(server.url, RESOURCES, {"selector": selector})
            runs = _graphql(server.url, RUNS)
            run_ids = [run["runId"] for run in runs["runsOrError"]["results"]]
            assert len(run_ids) == 1 and runs["runsOrError"]["results"][0]["status"] == "SUCCESS"
            events = _graphql(server.url, EVENTS, {"runId": run_ids[0]})
        finally:
            server.stop()

    details = resources["allTopLevelResourceDetailsOrError"]["results"]
    configured = {r["name"]: {v["key"]: v for v in r["configuredValues"]} for r in details}
    for name, field in (("landing", "s3_secret_access_key"), ("spark_s3_rsc", "s3_access_key_id")):
        shown = configured[name][field]
        assert shown["type"] == "ENV_VAR", shown
        assert shown["value"] in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"), shown
    event_types = {e["__typename"] for e in events["logsForRun"]["events"]}
    assert "MaterializationEvent" in event_types, "the run wrote the day on SeaweedFS"

    answers = {
        "workspace": workspace,
        "resources": resources,
        "runs (config, tags)": runs,
        "event log": events,
    }
    leaked = {what: _leaks(json.dumps(data)) for what, data in answers.items()}
    leaked["dg launch output"] = _leaks(launched)
    leaked["awo status output"] = _leaks(status)
    leaked["dg dev output"] = _leaks(log_path.read_text())
    assert {what: keys for what, keys in leaked.items() if keys} == {}
    assert _files_holding_a_key(settings.data_dir) == [], "Dagster home, captured logs, Spark log"
    assert os.listdir(home / "storage"), "the run's records and captured logs are in the home"
