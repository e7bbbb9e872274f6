"""The write lease: a second writer waits and then fails naming the first; an expired or dead
holder is taken over at once; a writer whose lease was taken over cannot commit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adventureworks_orchestration.storage.errors import LeaseLostError, TableBusyError
from adventureworks_orchestration.storage.layout import LEASE_KEY
from adventureworks_orchestration.storage.lease import WriteLease
from adventureworks_orchestration.storage.object_store import LocalObjectStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def store(tmp_path):
    return LocalObjectStore(tmp_path / "table")


def lease(store, write_id, clock, **kwargs):
    options = {"ttl_seconds": 60, "wait_seconds": 30, **kwargs}
    return WriteLease(
        store, "labs/things", write_id, f"run-{write_id}", clock=clock, sleep=clock.sleep,
        **options,
    )  # fmt: skip


def test_a_second_writer_waits_then_fails_naming_the_holder(store):
    clock = FakeClock()
    first = lease(store, "w1", clock)
    first.acquire()
    try:
        with pytest.raises(TableBusyError) as error:
            lease(store, "w2", clock).acquire()
        assert "run run-w1" in str(error.value) and "waited 30s" in str(error.value)
        assert clock.now >= 1_000_030, "it waited"
    finally:
        first.release()
    second = lease(store, "w2", clock)
    second.acquire()  # free again once released
    second.release()
    assert store.get(LEASE_KEY) is None


def test_an_expired_lease_is_taken_over_and_its_holder_can_no_longer_commit(store):
    clock = FakeClock()
    stale = lease(store, "w1", clock, ttl_seconds=10)
    stale._acquire()  # a holder that never renews: a paused process
    clock.now += 11

    fresh = lease(store, "w2", clock)
    fresh.acquire()

    assert fresh.took_over is not None and fresh.took_over.write_id == "w1"
    with pytest.raises(LeaseLostError, match="taken over"):
        stale.check()
    fresh.check()
    fresh.release()


def test_the_lease_of_a_killed_process_on_this_machine_is_taken_over_at_once(store, tmp_path):
    script = (
        "import sys, os, signal; sys.path.insert(0, '.');"
        "from adventureworks_orchestration.storage.lease import WriteLease;"
        "from adventureworks_orchestration.storage.object_store import LocalObjectStore;"
        f"WriteLease(LocalObjectStore({str(tmp_path / 'table')!r}), 't', 'dead', None)._acquire();"
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
    assert store.get(LEASE_KEY) is not None, "the killed writer left its lease"
    clock = FakeClock()

    fresh = lease(store, "w2", clock)
    fresh.acquire()

    assert fresh.took_over.write_id == "dead"
    assert clock.now == 1_000_000.0, "no waiting for the expiry"
    fresh.release()


def test_a_lease_left_by_a_finished_write_of_this_process_is_taken_over_at_once(store):
    clock = FakeClock()
    first = lease(store, "w1", clock)
    first.acquire()
    first._etag = "not-what-is-stored"  # its release cannot delete the lease (a failed call)
    first.release()
    assert store.get(LEASE_KEY) is not None

    second = lease(store, "w2", clock)
    second.acquire()

    assert second.took_over.write_id == "w1" and clock.now == 1_000_000.0
    second.release()


def test_the_heartbeat_keeps_a_long_write_s_lease_alive(store):
    import time

    # Lifetimes long enough for a busy CI machine (the heartbeat renews every third of one).
    holder = WriteLease(store, "t", "w1", None, ttl_seconds=3, wait_seconds=0)
    holder.acquire()
    try:
        first = store.get(LEASE_KEY)
        time.sleep(7)  # more than two lifetimes: alive only if it was renewed meanwhile
        assert store.get(LEASE_KEY)[1] != first[1], "the heartbeat rewrote the lease"
        with pytest.raises(TableBusyError):
            WriteLease(store, "t", "w2", None, ttl_seconds=3, wait_seconds=0).acquire()
        holder.check()
    finally:
        holder.release()
