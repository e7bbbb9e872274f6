"""Runs whose process died (``kill -9``, out of memory, a closed laptop) without telling Dagster.

Such a run stays STARTED for ever and keeps the concurrency-pool slots of its steps, so every
later run of those assets waits, for ever, for a slot. With a daemon and run monitoring, Dagster
notices this for runs its launcher started; a ``dg launch`` or ``awo`` run has no launcher, and a
laptop often has no daemon. So every run records which process runs it (``WORKER_TAG``: machine
and pid), and before it starts its steps it marks as failed, and frees the slots of, every run in
flight whose recorded process on this machine no longer exists. Runs on other machines are left
to their own machine (or to run monitoring): a PID means nothing elsewhere.
"""

from __future__ import annotations

import os

import dagster as dg

from .processes import machine_identity, process_alive
from .runs_in_flight import IN_FLIGHT

WORKER_TAG = "awo/worker"


def worker_tag_value() -> str:
    return f"{machine_identity()}:{os.getpid()}"


def dead_worker_pid(tag: str | None, machine: str, alive=process_alive) -> int | None:
    """The pid of a run's worker when it ran on ``machine`` and is gone, else None."""
    if not tag or ":" not in tag:
        return None
    where, _, pid = tag.rpartition(":")
    if where != machine or not pid.isdigit():
        return None
    return None if alive(int(pid)) else int(pid)


def record_worker(instance: dg.DagsterInstance, run_id: str) -> None:
    instance.add_run_tags(run_id, {WORKER_TAG: worker_tag_value()})


def fail_dead_local_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark runs of dead local processes failed and free their pool slots; their ids."""
    machine = machine_identity()
    reaped = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_FLIGHT), limit=500):
        run = record.dagster_run
        pid = dead_worker_pid(run.tags.get(WORKER_TAG), machine)
        if pid is None:
            continue
        instance.report_run_failed(
            run,
            f"the process that ran it (pid {pid} on this machine) is gone: it was killed or "
            "crashed; its pool slots are freed so that other runs can go on",
        )
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped
