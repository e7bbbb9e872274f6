"""Backfill from the UI in a real browser: Debian's chromium driven by playwright-core."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import write_landing
from ..pipeline_helpers import ALL_ASSETS
from .graphql import materialized, runs

pytestmark = pytest.mark.deployment

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"
CHROMIUM = Path("/usr/bin/chromium")
# Kept after the test run: the picture of the run page saying Success.
SCREENSHOT = BROWSER_TESTS.parents[2] / "test-artifacts" / "backfill-run-succeeded.png"
DAYS = ["2024-03-04", "2024-03-05"]


def test_materialize_a_range_from_the_asset_graph_launches_one_run_that_succeeds(
    deployment, deployed_settings, tmp_path
):
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
    write_landing(deployed_settings, DAYS, bookings_per_day=50)
    # What the UI sends when a user skips the first-visit newsletter dialog (as on an earlier
    # visit): that dialog opens a second after any page load and can cover the next click.
    assert deployment.graphql("mutation { setNuxSeen }") == {"setNuxSeen": True}
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)

    browser = subprocess.run(
        ["node", "backfill.mjs", deployment.graphql.url, DAYS[0], DAYS[-1], str(SCREENSHOT)],
        cwd=BROWSER_TESTS,
        env={"PATH": "/usr/bin:/bin", "CHROMIUM": str(CHROMIUM), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=1500,
    )

    assert browser.returncode == 0, browser.stderr[-3000:]
    seen = json.loads(browser.stdout.strip().splitlines()[-1])
    assert seen["status"] == "Success", "the run page says Success"
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")
    backfill_runs = runs(deployment.graphql, {"dagster/backfill": seen["backfillId"]})
    assert [(r["runId"], r["status"]) for r in backfill_runs] == [(seen["runId"], "SUCCESS")]
    assert materialized(deployment.graphql, seen["runId"]) == {
        (asset, day) for asset in ALL_ASSETS for day in DAYS
    }


def _playwright_installed() -> bool:
    return (BROWSER_TESTS / "node_modules" / "playwright-core" / "package.json").exists()
