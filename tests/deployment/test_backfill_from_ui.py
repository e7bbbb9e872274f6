"""Backfill from the UI on the deployed stack: a real browser (Debian's chromium driven by
playwright-core) materializes a range from the asset graph; the checks below are all made on
that one run, so the deployment runs the whole graph once for them (a second backfill through
the same GraphQL mutation the page sends would only repeat it)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from ..conftest import remove_landing, warehouse_view, write_landing
from ..pipeline_helpers import ALL_ASSETS, day_folders
from .graphql import captured_logs, materialized, run_events, runs

pytestmark = pytest.mark.deployment

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Kept after the test run: the picture of the run page saying Success.
SCREENSHOT = BROWSER_TESTS.parents[2] / "test-artifacts" / "backfill-run-succeeded.png"
DAYS = ["2024-03-01", "2024-03-02", "2024-03-03"]
BROWSER_SECONDS = 720


@pytest.fixture(scope="module")
def launched_in_browser(deployment, deployed_settings, tmp_path_factory) -> dict:
    """Landing files for DAYS, then the labs group's "Materialize all" over DAYS in chromium;
    what the page showed at the end: ``backfillId``, ``runId`` and the run's ``status``."""
    missing = [
        what
        for what, ok in (
            ("node (Debian: apt-get install nodejs)", shutil.which("node")),
            ("chromium (Debian: apt-get install chromium)", CHROMIUM.exists()),
            ("playwright-core (npm ci in tests/deployment/browser)", _playwright_installed()),
        )
        if not ok
    ]
    assert not missing, f"install {', '.join(missing)}; .ci/run does"
    files = write_landing(deployed_settings, DAYS, bookings_per_day=50)
    # What the UI sends when a user skips the first-visit newsletter dialog (as on an earlier
    # visit): that dialog opens a second after any page load and can cover the next click.
    assert deployment.graphql("mutation { setNuxSeen }") == {"setNuxSeen": True}
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)

    browser = subprocess.Popen(
        ["node", "backfill.mjs", deployment.graphql.url, DAYS[0], DAYS[-1], str(SCREENSHOT)],
        cwd=BROWSER_TESTS,
        env={
            "PATH": "/usr/bin:/bin",
            "CHROMIUM": str(CHROMIUM),
            "HOME": str(tmp_path_factory.mktemp("browser-home")),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:  # below pytest's 900 s per test, which this shares with the stack's start
        out, err = browser.communicate(timeout=BROWSER_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(browser.pid, signal.SIGKILL)  # node and its chromium
        out, err = browser.communicate()
        err += f"\nthe browser was stopped after {BROWSER_SECONDS} s"
    if browser.returncode != 0:
        _remove_landing_files_no_run_came_of(deployment, deployed_settings, files)
    assert browser.returncode == 0, f"{err[-3000:]}\n{deployment.logs()}"
    return json.loads(out.strip().splitlines()[-1])


def test_materialize_a_range_from_the_asset_graph_is_one_run_that_succeeds_for_every_day(
    deployment, deployed_settings, launched_in_browser
):
    seen = launched_in_browser
    assert seen["status"] == "Success", f"the run page says Success: {deployment.logs()}"
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")
    backfill_runs = runs(deployment.graphql, {"dagster/backfill": seen["backfillId"]})
    assert [(r["runId"], r["status"]) for r in backfill_runs] == [(seen["runId"], "SUCCESS")]
    assert materialized(deployment.graphql, seen["runId"]) == {
        (asset, day) for asset in ALL_ASSETS for day in DAYS
    }
    warehouse = warehouse_view(deployed_settings)
    for report in ("labs/reports/revenue_per_facility", "labs/reports/bookings_per_member"):
        assert day_folders(warehouse, report) == [f"booking_date={day}" for day in DAYS]


def test_the_run_is_one_application_on_the_spark_cluster(
    deployment, spark_cluster, launched_in_browser
):
    messages = [
        event["message"] for event in run_events(deployment.graphql, launched_in_browser["runId"])
    ]
    # resources/spark_logging.py: "Spark 4.x ready in 3.1s (<master>, <storage>, application <id>)"
    ready = [m for m in messages if m.startswith("Spark ") and " ready in " in m]
    app_ids = {message.split("application ")[1].split(")")[0] for message in ready}
    assert len(app_ids) == 1, f"all steps share one Spark application: {ready}"
    app_id = app_ids.pop()
    assert all(f"({spark_cluster.master_url}, " in message for message in ready)
    state = spark_cluster.state()
    apps = {app["id"]: app for app in state["activeapps"] + state["completedapps"]}
    assert apps[app_id]["name"] == "adventureworks-orchestration"


def test_the_webserver_shows_the_step_output_the_run_wrote_in_the_code_location(
    deployment, launched_in_browser
):
    """The webserver has a folder of its own (like its container): it gets the output back from
    the compute-log storage of deploy/dagster.yaml (S3), not from the code location's disk."""
    run_id = launched_in_browser["runId"]
    file_keys = sorted(
        {
            event["fileKey"]
            for event in run_events(deployment.graphql, run_id)
            if event["__typename"] == "LogsCapturedEvent"
        }
    )
    assert file_keys
    webserver_copy = deployment.compute_logs_dir("webserver")
    # The browser's visit to the run page did not fetch them: its default (structured) event view
    # asks for no captured logs; only the stdout/stderr tabs, never clicked, would.
    assert not list(webserver_copy.rglob(f"{run_id}/**/*.err"))

    logs = [captured_logs(deployment.graphql, run_id, key) for key in file_keys]

    stderr = "".join(log["stderr"] or "" for log in logs)
    assert f"{run_id} - " in stderr and "labs/reports/revenue_per_facility: published" in stderr
    assert list(webserver_copy.rglob(f"{run_id}/**/*.err")), "downloaded from S3"


def _playwright_installed() -> bool:
    return (BROWSER_TESTS / "node_modules" / "playwright-core" / "package.json").exists()


def _remove_landing_files_no_run_came_of(deployment, deployed_settings, files) -> None:
    """When the browser failed before any run of DAYS existed, the landing files it was given
    would start a run of the landing sensor in test_sensor_ingestion.py (its reconciliation lists
    every landing file): removed. Once a run exists they are its input and stay."""
    for run in runs(deployment.graphql):
        tags = run["tags"]
        if (
            tags.get("dagster/asset_partition_range_start"),
            tags.get("dagster/asset_partition_range_end"),
        ) == (DAYS[0], DAYS[-1]):
            return
    remove_landing(deployed_settings, files)
