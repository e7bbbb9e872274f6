"""The storage calls the publish protocol rests on, on a local folder and on the S3 server."""

from __future__ import annotations

import threading
import uuid

import pytest

from adventureworks_orchestration.storage.delta_table import DeltaDayTable
from adventureworks_orchestration.storage.object_store import (
    LocalObjectStore,
    PreconditionFailed,
    S3ObjectStore,
    object_store_for,
    object_store_for_session,
)
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable

from .conftest import warehouse_view


@pytest.fixture
def store(storage_settings):
    view = warehouse_view(storage_settings)
    return object_store_for(f"{view.root_uri}/t-{uuid.uuid4().hex[:6]}", storage_settings.s3)


def test_put_if_absent_refuses_an_existing_key(store):
    store.put("_table/manifests/1.json", b"first", if_none_match=True)

    with pytest.raises(PreconditionFailed):
        store.put("_table/manifests/1.json", b"second", if_none_match=True)

    assert store.get("_table/manifests/1.json")[0] == b"first"


def test_compare_and_swap_needs_the_etag_last_read(store):
    etag = store.put("lease.json", b"mine")
    newer = store.put("lease.json", b"renewed", if_match=etag)

    with pytest.raises(PreconditionFailed):
        store.put("lease.json", b"stale", if_match=etag)
    with pytest.raises(PreconditionFailed):
        store.delete("lease.json", if_match=etag)

    store.delete("lease.json", if_match=newer)
    assert store.get("lease.json") is None


def test_of_many_concurrent_creators_exactly_one_wins(store):
    winners, barrier = [], threading.Barrier(8)

    def create(n: int) -> None:
        barrier.wait()
        try:
            store.put("_table/manifests/7.json", f"writer {n}".encode(), if_none_match=True)
            winners.append(n)
        except PreconditionFailed:
            pass

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1
    assert store.get("_table/manifests/7.json")[0] == f"writer {winners[0]}".encode()


def test_list_is_recursive_and_delete_many_removes_everything_given(store):
    keys = [f"d=2024-03-0{n}/write=x/part-{i}.csv" for n in range(1, 4) for i in range(3)]
    for key in keys:
        store.put(key, b"x")

    assert sorted(item.key for item in store.list()) == sorted(keys)
    assert sorted(item.key for item in store.list("d=2024-03-02/")) == keys[3:6]

    store.delete_many(keys[:6])
    assert sorted(item.key for item in store.list()) == keys[6:]


def test_local_delete_many_removes_emptied_folders(tmp_path):
    store = LocalObjectStore(tmp_path / "t")
    store.put("d=1/write=a/part-0.csv", b"x")
    store.put("d=1/write=b/part-0.csv", b"x")

    store.delete_many(["d=1/write=a/part-0.csv"])

    assert not (tmp_path / "t" / "d=1" / "write=a").exists()
    assert (tmp_path / "t" / "d=1" / "write=b").exists()


def test_a_folder_without_hard_links_still_lets_exactly_one_creator_win(tmp_path, monkeypatch):
    """exFAT or a FUSE mount refuses os.link (EPERM); put-if-absent must still refuse an
    existing key and let one of many concurrent creators win."""
    import errno
    import os

    def no_hard_links(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    store = LocalObjectStore(tmp_path / "t")
    test_put_if_absent_refuses_an_existing_key(store)
    test_of_many_concurrent_creators_exactly_one_wins(store)


def test_a_local_write_syncs_every_data_file_and_folder_before_its_commit(spark, tmp_path):
    """The README's durability claim: the manifest (itself synced) never names a file whose data
    or directory entry is still only in the page cache."""
    import os

    from adventureworks_orchestration.storage import object_store
    from adventureworks_orchestration.storage.partitioned_table import PartitionedTable

    from .table_helpers import DAYS, rows_for

    events: list[tuple[str, str]] = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    table = PartitionedTable(spark, str(tmp_path / "t"), "day")
    put = table.store.put

    def recording_put(key, *args, **kwargs):
        if key.startswith("_table/manifests/"):
            events.append(("commit", key))
        return put(key, *args, **kwargs)

    table.store.put = recording_put
    os_module = object_store.os
    try:
        os_module.fsync = recording_fsync
        result = table.write(rows_for(spark, DAYS), DAYS)
    finally:
        os_module.fsync = real_fsync
    commit = events.index(("commit", "_table/manifests/00000000000000000001.json"))
    synced_before = {path for kind, path in events[:commit] if kind == "fsync"}
    for names in result.files_per_day.values():
        for name in names:
            path = tmp_path / "t" / name
            assert str(path) in synced_before, name
            assert str(path.parent) in synced_before and str(path.parent.parent) in synced_before


class _SessionWithoutConfiguration:
    """A stand-in for a Spark session whose configuration must not be read."""

    @property
    def sparkContext(self):  # noqa: N802 - SparkSession's name
        raise AssertionError("the Spark configuration was read for a table on a local folder")


def test_a_table_on_a_local_folder_opens_without_reading_the_spark_configuration(tmp_path):
    """Reading it from Python is a py4j round trip per entry; only an S3 root needs it."""
    session = _SessionWithoutConfiguration()
    assert isinstance(PartitionedTable(session, tmp_path.as_uri(), "day").store, LocalObjectStore)
    assert isinstance(DeltaDayTable(session, tmp_path.as_uri(), "day").store, LocalObjectStore)


@pytest.mark.parametrize("storage_settings", ["s3"], indirect=True)
def test_a_table_on_s3_uses_the_spark_sessions_endpoint_and_keys(spark, storage_settings):
    """The session's S3A settings (the test server's endpoint and keys), not the defaults (AWS):
    a put and a get through the store reach the test server."""
    root = f"{warehouse_view(storage_settings).root_uri}/t-{uuid.uuid4().hex[:6]}"
    store = object_store_for_session(root, spark)
    assert isinstance(store, S3ObjectStore)
    store.put("probe.txt", b"here", if_none_match=True)
    assert store.get("probe.txt")[0] == b"here"
