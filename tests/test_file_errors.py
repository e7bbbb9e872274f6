"""Every failure a user can cause with a landing FILE ends in one paragraph that names the file,
says what is wrong and what to do; and the console shows no JVM stack trace for it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.storage.s3 import ensure_buckets

from .conftest import landing_view, make_settings, warehouse_view, write_landing
from .pipeline_helpers import day_folders, materialize_range

DAYS = days_in_range("2024-03-01", "2024-03-02")
BAD_DAY = "2024-03-02"
HEADER = "bookid,facid,memid,starttime,slots"
ROW = "1,2,3,2024-03-02 10:00:00,1"

CASES = {
    "wrong-header": (
        "bookings",
        f"bookid,facid,WRONG,starttime,slots\n{ROW}\n",
        ["has the header 'bookid,facid,WRONG,starttime,slots'", f"must start with '{HEADER}'",
         "missing column(s): memid", "unexpected column(s): WRONG", "Fix the header line"],
    ),
    "missing-column": (
        "bookings",
        "bookid,facid,memid,starttime\n1,2,3,2024-03-02 10:00:00\n",
        ["missing column(s): slots", f"must start with '{HEADER}'", "Fix the header line"],
    ),
    "extra-column": (
        "bookings",
        f"{HEADER},note\n{ROW},hello\n",
        ["unexpected column(s): note", f"must start with '{HEADER}'", "Fix the header line"],
    ),
    "empty-file": (
        "members",
        "",
        ["is empty (0 bytes)", "needs at least its header line 'memid,", "run again"],
    ),
    "missing-file": (
        "facilities",
        None,
        ["1 landing file(s) missing for facilities", "Land them", "run again"],
    ),
}  # fmt: skip


def _break(settings, case: str) -> str:
    table, content, _ = CASES[case]
    landing = landing_view(settings)
    path = landing_file_path(table, BAD_DAY)
    if content is None:
        landing.remove(path)
    else:
        landing.write_text(path, content)
    return path


def _step_failure(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1, "one step failed"
    error = failures[0].step_failure_data.error
    while error.cause is not None and error.cls_name != "Failure":
        error = error.cause
    assert error.cls_name == "Failure", "a deliberate Failure, not a crash"
    return error.message.split(": ", 1)[1]


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_landing_file_fails_in_one_paragraph_naming_it(settings, instance, spark, case):
    write_landing(settings, DAYS, bookings_per_day=30)
    path = _break(settings, case)

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    assert not result.success
    message = _step_failure(result)
    assert f"{landing_view(settings).root_uri}/{path}" in message, "names the file"
    for fragment in CASES[case][2]:
        assert fragment in message, f"{fragment!r} in {message!r}"
    assert "\n" not in message.strip() and "Caused by" not in message, "one paragraph"
    assert not day_folders(warehouse_view(settings), f"labs/source/{CASES[case][0]}")


def test_a_wrong_header_on_s3_is_found_the_same_way(tmp_path, s3_store, instance, spark):
    suffix = uuid.uuid4().hex[:10]
    store = replace(s3_store, warehouse_bucket=f"wh-{suffix}", landing_bucket=f"land-{suffix}")
    ensure_buckets(store, [store.warehouse_bucket, store.landing_bucket])
    settings = make_settings(tmp_path / "data", storage="s3", s3=store)
    write_landing(settings, DAYS, bookings_per_day=30)
    path = _break(settings, "wrong-header")

    result = materialize_range(settings, instance, DAYS[0], DAYS[-1], raise_on_error=False)

    message = _step_failure(result)
    assert f"s3a://{store.landing_bucket}/{path}" in message
    assert "missing column(s): memid" in message


def test_awo_console_says_a_bad_row_was_quarantined_without_a_java_trace(tmp_path):
    """A value that does not parse is no longer a failure: the row is quarantined, the run
    succeeds, and the console's line for the asset says so (no Spark or Python trace)."""
    data = tmp_path / "data"
    env = {**os.environ, "AWO_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop("AWO_PARTITIONS_START", None)
    awo = str(Path(sys.executable).parent / "awo")
    generated = subprocess.run(
        [awo, "generate", "--days", "1", "--bookings-per-day", "20"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    members = data / "landing" / landing_file_path("members", "2024-01-01")
    lines = members.read_text().splitlines()
    lines[2] = "not-a-number" + lines[2][lines[2].index(",") :]
    members.write_text("\n".join(lines) + "\n")

    completed = subprocess.run(
        [awo, "backfill", "2024-01-01", "2024-01-01"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    console = completed.stdout + completed.stderr
    assert completed.returncode == 0, console
    assert re.search(
        r"labs/source/members: 1 day\(s\), \d+ rows \(1 landing rows quarantined: awo "
        r"quarantine\)",
        console,
    ), console
    assert not re.search(r"^\s+at (org|java|scala)\.", console, re.M), "no Java frames"
    assert "Traceback" not in console and "Exception in task" not in console
