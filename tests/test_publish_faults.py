"""The publish protocol under fire: a failure after ANY storage call leaves every day wholly old
or wholly new, and the next write repairs and leaves nothing behind (local folder and S3)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from adventureworks_orchestration.storage.errors import ConcurrentWriteError
from adventureworks_orchestration.storage.object_store import PreconditionFailed
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable, TableOptions

from .conftest import warehouse_view
from .faults import InjectedFault, fail_after_call, raise_exception, raise_interrupt
from .table_helpers import DAYS, leftovers, rows_for, tags_per_day

IMMEDIATE = TableOptions(keep_replaced=dt.timedelta(0))


def _table(spark, uri: str) -> PartitionedTable:
    return PartitionedTable(spark, uri, "day", options=IMMEDIATE)


def _calls_of_a_clean_write(spark, uri: str) -> list[str]:
    table = _table(spark, uri)
    table.write(rows_for(spark, DAYS, tag="old"), DAYS)
    probe = _table(spark, uri)
    calls = fail_after_call(probe.store, 0, raise_exception)
    probe.write(rows_for(spark, DAYS, tag="new"), DAYS)
    return calls


def _assert_whole_days_then_repair(spark, uri: str, label: str) -> None:
    seen = tags_per_day(_table(spark, uri))
    for day, (tags, count) in seen.items():
        assert (tags, count) in (({"old"}, 3), ({"new"}, 4)), f"{label}: {day} is {tags} x{count}"
    repair = _table(spark, uri)
    repair.write(rows_for(spark, DAYS, per_day=5, tag="fix"), DAYS)
    assert tags_per_day(repair) == {day: ({"fix"}, 5) for day in DAYS}, label
    assert leftovers(repair) == [], f"{label}: the repair left {leftovers(repair)}"


@pytest.mark.parametrize(
    ("fault", "dark_after"),
    [(raise_exception, False), (raise_interrupt, False), (raise_exception, True)],
    ids=["exception", "terminate", "death"],
)
def test_a_fault_after_each_storage_call_never_loses_or_splits_a_day(
    spark, storage_settings, fault, dark_after
):
    """``death``: after call n nothing more of the writer reaches storage (its clean-up
    included), which is what a kill -9 right after that call leaves; real kills of real runs
    are in test_kill_during_backfill.py."""
    base = warehouse_view(storage_settings).root_uri
    calls = _calls_of_a_clean_write(spark, f"{base}/probe")
    assert len(calls) >= 6, calls  # lease, manifest list/get, listing, lease check, commit, ...

    for n, name in enumerate(calls, start=1):
        uri = f"{base}/t{n}"
        _table(spark, uri).write(rows_for(spark, DAYS, tag="old"), DAYS)
        victim = _table(spark, uri)
        fail_after_call(victim.store, n, fault, dark_after=dark_after)
        new_rows = rows_for(spark, DAYS, per_day=4, tag="new")
        try:
            victim.write(new_rows, DAYS)
        except (InjectedFault, KeyboardInterrupt):
            pass  # a fault in the best-effort clean-up after the commit is logged, not raised
        _assert_whole_days_then_repair(spark, uri, f"after call {n} ({name})")


WRITER = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    sys.path.insert(0, {project!r})
    from tests.conftest import spark_for_subprocess
    from tests.faults import fail_after_call, sigterm_self
    from tests.table_helpers import DAYS, rows_for
    from adventureworks_orchestration.storage.partitioned_table import (
        PartitionedTable, TableOptions,
    )
    if {as_interrupt!r}:
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # what Dagster does
    spark = spark_for_subprocess({s3!r})
    options = TableOptions(keep_replaced=dt.timedelta(0))
    for n, uri in {targets!r}:
        table = PartitionedTable(spark, uri, "day", options=options)
        fail_after_call(table.store, n, sigterm_self)
        try:
            table.write(rows_for(spark, DAYS, per_day=4, tag="new"), DAYS)
            print("WRITE COMPLETED", n, flush=True)
        except KeyboardInterrupt:
            print("INTERRUPTED", n, flush=True)
    """
)


def _run_writer(storage_settings, s3_store, targets, as_interrupt: bool):
    s3 = None
    if storage_settings.uses_s3:
        s3 = [s3_store.endpoint, s3_store.access_key_id, s3_store.secret_access_key]
    script = WRITER.format(
        project=str(Path(__file__).resolve().parents[1]),
        as_interrupt=as_interrupt,
        s3=s3,
        targets=targets,
    )
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_sigterm_as_dagster_handles_it_after_each_storage_call(spark, settings, s3_store):
    """A real SIGTERM after each call to a process that turns it into KeyboardInterrupt, as a
    Dagster run worker does when the run is terminated: one process takes every signal.

    Local storage only: the signal arrives between storage calls (never inside one), so what
    it leaves on S3 is what the in-process ``terminate`` case above leaves there."""
    storage_settings = settings
    base = warehouse_view(storage_settings).root_uri
    calls = _calls_of_a_clean_write(spark, f"{base}/probe")
    targets = [(n, f"{base}/t{n}") for n in range(1, len(calls) + 1)]
    for _, uri in targets:
        _table(spark, uri).write(rows_for(spark, DAYS, tag="old"), DAYS)

    done = _run_writer(storage_settings, s3_store, targets, as_interrupt=True)

    assert done.returncode == 0, done.stderr[-3000:]
    for n, uri in targets:
        name = calls[n - 1]
        assert f"INTERRUPTED {n}" in done.stdout, f"call {n} ({name}): the interrupt was lost"
        _assert_whole_days_then_repair(spark, uri, f"SIGTERM after call {n} ({name})")


def test_a_commit_that_landed_but_answered_with_an_error_is_kept(spark, storage_settings):
    """A manifest PUT that stored the object and still failed (a timeout, retried by the client
    and then refused with 412 because the object exists) published the write: its files must
    stay, and the write succeeds."""
    uri = f"{warehouse_view(storage_settings).root_uri}/landed"
    _table(spark, uri).write(rows_for(spark, DAYS, tag="old"), DAYS)
    victim = _table(spark, uri)
    put = victim.store.put

    def put_then_refuse(key, *args, **kwargs):
        result = put(key, *args, **kwargs)
        if key.startswith("_table/manifests/"):
            raise PreconditionFailed(f"{key} exists (our own retried request)")
        return result

    victim.store.put = put_then_refuse
    result = victim.write(rows_for(spark, DAYS, per_day=4, tag="new"), DAYS)
    assert result.version == 2
    assert tags_per_day(_table(spark, uri)) == {day: ({"new"}, 4) for day in DAYS}
    assert leftovers(_table(spark, uri)) == []


def test_a_writer_whose_version_was_pruned_meanwhile_is_refused(
    spark, storage_settings, monkeypatch
):
    """A writer paused past its lease while another wrote twice and pruned old manifests finds
    its version number free again; committing it would publish nothing readers follow (they
    read the newest), so the write is withdrawn and refused, and the other writer's data stays."""

    class NoLease:  # the pause outlived the lease: nothing stops either writer
        def __init__(self, *args, **kwargs) -> None:
            pass

        acquire = release = check = lambda self: None

    monkeypatch.setattr(
        "adventureworks_orchestration.storage.partitioned_table.WriteLease", NoLease
    )
    uri = f"{warehouse_view(storage_settings).root_uri}/pruned"
    _table(spark, uri).write(rows_for(spark, DAYS, tag="old"), DAYS)
    one_manifest = TableOptions(keep_replaced=dt.timedelta(0), keep_manifests=1)
    paused = PartitionedTable(spark, uri, "day", options=one_manifest)
    files_of_write = PartitionedTable._files_of_write

    def other_writer_goes_on(self, *args, **kwargs):
        files = files_of_write(self, *args, **kwargs)
        if self is paused:
            for tag in ("b1", "b2"):
                other = PartitionedTable(spark, uri, "day", options=one_manifest)
                other.write(rows_for(spark, DAYS, per_day=2, tag=tag), DAYS)
        return files

    monkeypatch.setattr(PartitionedTable, "_files_of_write", other_writer_goes_on)
    with pytest.raises(ConcurrentWriteError, match="nothing of this run was published"):
        paused.write(rows_for(spark, DAYS, per_day=4, tag="a"), DAYS)
    reader = _table(spark, uri)
    assert reader.manifest().version == 3
    assert tags_per_day(reader) == {day: ({"b2"}, 2) for day in DAYS}
    assert leftovers(reader) == []
