"""Runs whose process died (``kill -9``, out of memory, a closed laptop) without telling Dagster.

Such a run stays STARTED for ever and keeps the concurrency-pool slots of its steps, so every
later run of those assets waits, for ever, for a slot. With a daemon and run monitoring, Dagster
notices this for runs its launcher started; a ``dg launch`` or ``awo`` run has no launcher, and a
laptop often has no daemon. So every run records which process runs it (``WORKER_TAG``: machine,
boot, pid and the run's own id), and before it starts its steps it marks as failed, and frees the
slots of, every STARTED run whose recorded process on this machine no longer exists (or ran before
the last reboot). Runs on other machines are left to their own machine (or to run monitoring): a
PID means nothing elsewhere. A retry or re-execution inherits its parent's tags: the run id in
the value tells an inherited tag (ignored) from the run's own.
"""

from __future__ import annotations

import os

import dagster as dg

from .process_liveness import boot_id, machine_identity, process_alive

WORKER_TAG = "awo/worker"


def worker_tag_value(run_id: str) -> str:
    """``<machine>:<boot>:<pid>:<run id>`` (the machine part may hold colons itself)."""
    return f"{machine_identity()}:{boot_id()}:{os.getpid()}:{run_id}"


def dead_worker_pid(
    tag: str | None, run_id: str, machine: str, boot: str, alive=process_alive
) -> int | None:
    """The pid of ``run_id``'s worker when it ran on ``machine`` and is gone, else None."""
    parts = (tag or "").rsplit(":", 3)
    if len(parts) != 4:
        return None
    where, ran_in_boot, pid, tagged_run = parts
    if tagged_run != run_id or where != machine or not pid.isdigit():
        return None  # inherited from the run it retries, or another machine's
    if ran_in_boot != boot:
        return int(pid)  # the machine rebooted since: that process is gone
    return None if alive(int(pid)) else int(pid)


def record_worker(instance: dg.DagsterInstance, run_id: str) -> None:
    instance.add_run_tags(run_id, {WORKER_TAG: worker_tag_value(run_id)})


def fail_dead_local_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark STARTED runs of dead local processes failed and free their pool slots; their ids.

    Only STARTED: a queued or starting run has no worker of its own yet (its tag, if any, is
    inherited)."""
    machine, boot = machine_identity(), boot_id()
    reaped = []
    started = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    for record in instance.get_run_records(filters=started, limit=500):
        run = record.dagster_run
        pid = dead_worker_pid(run.tags.get(WORKER_TAG), run.run_id, machine, boot)
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
