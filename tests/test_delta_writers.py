"""Delta writers in separate processes, as separate runs would be: what is safe on a local folder
(Delta's own conflict detection) and on S3 (the write lease), and a writer killed with kill -9 in
the middle of its write job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from adventureworks_orchestration.storage.delta_table import DeltaDayTable

from .conftest import warehouse_view
from .table_helpers import DAYS, rows_for

PROJECT = str(Path(__file__).resolve().parents[1])

WRITER = textwrap.dedent(
    """
    import json, os, sys, time
    sys.path.insert(0, {project!r})
    from pyspark.sql import functions as F
    from tests.conftest import spark_for_subprocess
    from tests.table_helpers import rows_for
    from adventureworks_orchestration.storage.delta_table import DeltaDayTable, DeltaOptions

    spark = spark_for_subprocess({s3!r})
    days, tag, go = {days!r}, {tag!r}, {go!r}
    rows = rows_for(spark, days, tag=tag)
    slow = F.udf(lambda label: time.sleep({sleep!r}) or label, "string")
    rows = rows.withColumn("label", slow("label")).coalesce(1)
    table = DeltaDayTable(spark, {uri!r}, "day", options=DeltaOptions(lease_wait_seconds=300))
    print("READY", flush=True)
    while not os.path.exists(go):
        time.sleep(0.05)
    try:
        result = table.write(rows, days)
        print("RESULT", json.dumps({{"version": result.version}}), flush=True)
    except Exception as exc:
        failure = {{"error": type(exc).__name__, "message": str(exc)}}
        print("RESULT", json.dumps(failure), flush=True)
    """
)


def _s3_args(settings, s3_store) -> list[str] | None:
    if not settings.uses_s3:
        return None
    return [s3_store.endpoint, s3_store.access_key_id, s3_store.secret_access_key]


def _start_writer(uri, days, tag, go, s3, sleep=4.0) -> subprocess.Popen:
    script = WRITER.format(project=PROJECT, s3=s3, days=days, tag=tag, go=go, uri=uri, sleep=sleep)
    return subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def _wait_ready(process: subprocess.Popen) -> None:
    for line in process.stdout:  # type: ignore[union-attr]
        if line.startswith("READY"):
            return
    raise AssertionError(f"writer exited with {process.wait()} before it was ready")


def _result(process: subprocess.Popen) -> dict:
    out, _ = process.communicate(timeout=600)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no result (exit {process.returncode}): {out[-2000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


def _concurrent_writes(spark, settings, s3_store, tmp_path, plan) -> tuple[DeltaDayTable, list]:
    uri = f"{warehouse_view(settings).root_uri}/labs/shared"
    table = DeltaDayTable(spark, uri, "day")
    table.write(rows_for(spark, DAYS, tag="v1"), DAYS)
    go = str(tmp_path / "go")
    writers = [
        _start_writer(uri, days, tag, go, _s3_args(settings, s3_store)) for days, tag in plan
    ]
    try:
        for writer in writers:
            _wait_ready(writer)
        Path(go).touch()
        results = [_result(writer) for writer in writers]
    finally:
        for writer in writers:
            if writer.poll() is None:
                os.killpg(writer.pid, signal.SIGKILL)
    return table, results


def _labels(table: DeltaDayTable) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in DeltaDayTable(table.spark, table.root, "day").read().collect():
        found.setdefault(row.day.isoformat(), set()).add(row.label.split("-")[0])
    return found


def _read_versions(table: DeltaDayTable) -> dict[int, int]:
    """version -> the version its writer had read (commitInfo.readVersion)."""
    history = table._delta().history().select("version", "readVersion").collect()
    return {row.version: row.readVersion for row in history}


@pytest.mark.slow
def test_writers_of_different_days_from_separate_processes(
    spark, storage_settings, s3_store, tmp_path
):
    """Local folder: both transactions read version 1 and both commit (Delta's conflict check
    finds no overlap). S3: the write lease makes them take turns; both commit, nothing lost."""
    table, results = _concurrent_writes(
        spark, storage_settings, s3_store, tmp_path, [(["2024-03-01"], "a"), (["2024-03-03"], "b")]
    )

    assert sorted(r.get("version") for r in results) == [2, 3], results
    assert _labels(table) == {"2024-03-01": {"a"}, "2024-03-02": {"v1"}, "2024-03-03": {"b"}}
    read = _read_versions(table)
    if storage_settings.uses_s3:
        assert (read[2], read[3]) == (1, 2), "on S3 the second writer waited for the first"
    else:
        assert (read[2], read[3]) == (1, 1), "both wrote at once, from version 1"


@pytest.mark.slow
def test_writers_of_the_same_day_one_is_refused_on_a_local_folder(spark, settings, tmp_path):
    """Both replace 2024-03-02 from version 1: Delta commits one and refuses the other, which
    fails with one sentence; the day is wholly one writer's."""
    table, results = _concurrent_writes(
        spark, settings, None, tmp_path, [(["2024-03-02"], "a"), (["2024-03-02"], "b")]
    )

    errors = [r for r in results if "error" in r]
    assert len(errors) == 1 and errors[0]["error"] == "ConcurrentWriteError", results
    assert "another writer committed to the same days" in errors[0]["message"]
    assert table.version() == 2
    winner = next(tag for tag, r in zip("ab", results, strict=True) if "version" in r)
    assert _labels(table)["2024-03-02"] == {winner}


KILLED = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {project!r})
    from pyspark.sql import functions as F
    from tests.conftest import spark_for_subprocess
    from tests.table_helpers import rows_for
    from adventureworks_orchestration.storage.delta_table import DeltaDayTable

    spark = spark_for_subprocess({s3!r})
    small = rows_for(spark, ["2024-03-01", "2024-03-03"], tag="new")
    big = spark.range({big_rows}).select(
        F.col("id").cast("int").alias("id"),
        F.concat(F.lit("new-"), F.sha2(F.col("id").cast("string"), 256)).alias("label"),
        F.lit("2024-03-02").cast("date").alias("day"),
    )
    table = DeltaDayTable(spark, {uri!r}, "day")
    print("WRITING", flush=True)
    table.write(small.unionByName(big), {days!r})
    print("WRITE COMPLETED", flush=True)
    """
)


@pytest.mark.slow
def test_kill_9_in_the_middle_of_the_write_job_leaves_the_previous_version(
    spark, storage_settings, s3_store
):
    """The writer (Python and its JVM) is killed once the small days' files are written and the
    big day's still is: the table stays at version 1, wholly old, and the next write works."""
    root = warehouse_view(storage_settings)
    uri = f"{root.root_uri}/labs/killed"
    table = DeltaDayTable(spark, uri, "day")
    table.write(rows_for(spark, DAYS, tag="old"), DAYS)
    old_files = set(_parquet(root, "labs/killed"))
    script = KILLED.format(
        project=PROJECT,
        s3=_s3_args(storage_settings, s3_store),
        uri=uri,
        days=DAYS,
        big_rows=3_000_000,
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        # 2024-03-01 sorts before the big day: its file is written first in any task
        new_small = _wait_for_new_files(root, old_files, writer, "day=2024-03-01")
        os.killpg(writer.pid, signal.SIGKILL)
        out, _ = writer.communicate(timeout=60)
    finally:
        if writer.poll() is None:
            os.killpg(writer.pid, signal.SIGKILL)

    assert writer.returncode == -signal.SIGKILL and "WRITE COMPLETED" not in out
    assert new_small, "the kill came after files of the write were on storage"
    after = DeltaDayTable(spark, uri, "day")
    assert after.version() == 1, "nothing was committed"
    assert _labels(after) == {day: {"old"} for day in DAYS}
    assert set(new_small) <= set(_parquet(root, "labs/killed")), "orphans are never read"
    result = after.write(rows_for(spark, DAYS, tag="fix"), DAYS)
    assert result.version == 2 and _labels(after) == {day: {"fix"} for day in DAYS}


def _parquet(root, table: str) -> list[str]:
    return [name for name in root.checksums(table) if name.endswith(".parquet")]


def _wait_for_new_files(
    root, old: set[str], writer, folder: str, timeout: float = 600
) -> list[str]:
    """The write's first new file in ``folder`` (listing names only: the poll must be quick)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert writer.poll() is None, "the writer ended before it could be killed"
        names = root.files(f"labs/killed/{folder}")
        new = [f"{folder}/{n}" for n in names if n.endswith(".parquet")]
        new = [name for name in new if name not in old]
        if new:
            return new
        time.sleep(0.05)
    raise AssertionError("no new files appeared")
