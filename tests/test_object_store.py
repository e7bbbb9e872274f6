"""The storage calls the publish protocol rests on, on a local folder and on the S3 server."""

from __future__ import annotations

import threading
import uuid

import pytest

from adventureworks_orchestration.storage.object_store import (
    LocalObjectStore,
    PreconditionFailed,
    object_store_for,
)

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
