"""The write lease: one writer per table at a time, and a crashed writer never blocks for long.

``_table/lease.json`` names the writer (write id, Dagster run, host, process) and when its lease
expires. It is taken with a put that fails if the key exists, renewed by a background thread
every third of its lifetime with a compare-and-swap on its etag, and released with a delete that
only succeeds if it is still ours. A second writer waits (``wait_seconds``) and then fails,
naming the holder. A lease is abandoned, and taken over with a compare-and-swap, when it has
expired or when its holder ran on this machine (same host name and process namespace) and that
process is gone (``kill -9``): the next run does not have to wait out the expiry.

The lease keeps writers from working over each other. It is not what keeps the table correct:
the commit itself refuses a version built on a stale base (``commit_log``), so a writer whose
lease was taken over (a process paused longer than the lease) fails at commit instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..processes import machine_identity, process_alive
from .errors import LeaseLostError, TableBusyError
from .layout import LEASE_KEY
from .object_store import ObjectStore, PreconditionFailed

log = logging.getLogger(__name__)

# Write ids whose writer is running in THIS process: a lease of this process naming any other
# write id is left over from a finished write (its release call failed) and is abandoned.
_ACTIVE_WRITES: set[str] = set()


@dataclass(frozen=True)
class LeaseHolder:
    write_id: str
    run_id: str | None
    machine: str
    pid: int
    acquired_at: float
    expires_at: float

    def describe(self) -> str:
        since = dt.datetime.fromtimestamp(self.acquired_at, dt.UTC).strftime("%H:%M:%S UTC")
        run = f"run {self.run_id}" if self.run_id else "a writer outside Dagster"
        return f"{run} (write {self.write_id}, pid {self.pid} on {self.machine}) since {since}"


class WriteLease:
    def __init__(
        self,
        store: ObjectStore,
        table_name: str,
        write_id: str,
        run_id: str | None,
        ttl_seconds: float = 120,
        wait_seconds: float = 600,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        is_alive: Callable[[int], bool] = process_alive,
    ) -> None:
        self.store = store
        self.table_name = table_name
        self.write_id = write_id
        self.run_id = run_id
        self.ttl = ttl_seconds
        self.wait = wait_seconds
        self.clock = clock
        self.sleep = sleep
        self.is_alive = is_alive
        self._etag: str | None = None
        self._acquired_at = 0.0
        self._lost = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.took_over: LeaseHolder | None = None

    def _record(self, acquired_at: float) -> bytes:
        holder = LeaseHolder(
            write_id=self.write_id,
            run_id=self.run_id,
            machine=machine_identity(),
            pid=os.getpid(),
            acquired_at=acquired_at,
            expires_at=self.clock() + self.ttl,
        )
        return json.dumps(asdict(holder)).encode()

    def _abandoned(self, holder: LeaseHolder | None) -> bool:
        if holder is None:
            return True  # unreadable record: nobody can prove they hold it
        if holder.expires_at < self.clock():
            return True
        if holder.machine != machine_identity():
            return False
        if holder.pid == os.getpid():
            return holder.write_id not in _ACTIVE_WRITES
        return not self.is_alive(holder.pid)

    def acquire(self) -> None:
        """Take the lease, waiting up to ``wait_seconds`` for a live holder to let go.

        If anything fails on the way, the lease is not left behind in this writer's name.
        """
        _ACTIVE_WRITES.add(self.write_id)  # before the put: no thread here may think it stale
        try:
            self._acquire()
        except BaseException:
            _ACTIVE_WRITES.discard(self.write_id)
            self._drop_if_ours()
            raise
        self._thread = threading.Thread(
            target=self._heartbeat, name=f"lease:{self.table_name}", daemon=True
        )
        self._thread.start()

    def _drop_if_ours(self) -> None:
        try:
            current = self.store.get(LEASE_KEY)
            holder = _parse(current[0]) if current else None
            if current and holder and holder.write_id == self.write_id:
                self.store.delete(LEASE_KEY, if_match=current[1])
        except Exception as exc:  # noqa: BLE001 - other writers take it over as abandoned
            log.warning("%s: could not drop a half-taken write lease: %s", self.table_name, exc)

    def _acquire(self) -> None:
        deadline = self.clock() + self.wait
        started = self._acquired_at = self.clock()
        while True:
            try:
                self._etag = self.store.put(LEASE_KEY, self._record(started), if_none_match=True)
                break
            except PreconditionFailed:
                pass
            current = self.store.get(LEASE_KEY)
            if current is None:
                continue  # released between our put and get
            holder = _parse(current[0])
            if self._abandoned(holder):
                try:
                    self._etag = self.store.put(
                        LEASE_KEY, self._record(started), if_match=current[1]
                    )
                except PreconditionFailed:
                    continue  # someone else took it over first
                self.took_over = holder
                log.warning(
                    "%s: took over the write lease of %s, which %s",
                    self.table_name,
                    holder.describe() if holder else "an unreadable record",
                    "had expired" if holder and holder.expires_at < self.clock() else "has ended",
                )
                break
            if self.clock() >= deadline:
                raise TableBusyError(
                    f"{self.table_name} is being written by {holder.describe()}; this run waited "
                    f"{self.wait:.0f}s for it. Let that run finish, or stop it: a stopped "
                    "writer's lease is released at once, a vanished one's expires at "
                    f"{dt.datetime.fromtimestamp(holder.expires_at, dt.UTC):%H:%M:%S} UTC."
                )
            self.sleep(min(1.0, max(0.05, deadline - self.clock())))

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            with self._lock:
                if self._lost or self._etag is None:
                    return
                try:
                    self._etag = self.store.put(
                        LEASE_KEY, self._record(self._acquired_at), if_match=self._etag
                    )
                except PreconditionFailed:
                    self._lost = True
                    return
                except Exception as exc:  # noqa: BLE001 - a transient error: try next beat
                    log.warning("%s: could not renew the write lease: %s", self.table_name, exc)

    def check(self) -> None:
        """Raise ``LeaseLostError`` unless the stored lease is still this writer's."""
        with self._lock:
            current = self.store.get(LEASE_KEY)
            if self._lost or current is None or current[1] != self._etag:
                self._lost = True
                raise LeaseLostError(
                    f"{self.table_name}: this run's write lease was taken over by another writer "
                    f"(it expires after {self.ttl:.0f}s without renewal: was this process "
                    "paused?); nothing of this run was published. Run it again."
                )

    def release(self) -> None:
        """Stop renewing and delete the lease if it is still ours; never raises."""
        self._stop.set()
        _ACTIVE_WRITES.discard(self.write_id)
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            if self._etag is None or self._lost:
                return
            try:
                self.store.delete(LEASE_KEY, if_match=self._etag)
            except Exception as exc:  # noqa: BLE001 - it expires by itself; say so and go on
                log.warning("%s: could not release the write lease: %s", self.table_name, exc)
            self._etag = None


def _parse(data: bytes) -> LeaseHolder | None:
    try:
        return LeaseHolder(**json.loads(data))
    except (ValueError, TypeError):
        return None
