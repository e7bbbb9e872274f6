"""A run whose process was killed must not hold its pool slots for ever."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import dagster as dg

from adventureworks_orchestration.dagster_home import EMBEDDED_INSTANCE_CONFIG
from adventureworks_orchestration.dead_runs import (
    WORKER_TAG,
    dead_worker_pid,
    fail_dead_local_runs,
    worker_tag_value,
)
from adventureworks_orchestration.process_liveness import boot_id, machine_identity


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _run(instance, tag, run_id=None, status=dg.DagsterRunStatus.STARTED) -> dg.DagsterRun:
    """A run whose worker tag is ``tag`` (a function of the run id, or a fixed inherited value)."""
    run_id = run_id or str(uuid.uuid4())
    value = tag(run_id) if callable(tag) else tag
    run = dg.DagsterRun(
        job_name="sample_job", run_id=run_id, status=status, tags={WORKER_TAG: value}
    )
    return instance.add_run(run)


def _tag(machine: str, boot: str, pid: int):
    return lambda run_id: f"{machine}:{boot}:{pid}:{run_id}"


def test_a_dead_local_run_is_failed_and_its_pool_slot_freed():
    with dg.instance_for_test(overrides=EMBEDDED_INSTANCE_CONFIG) as instance:
        storage = instance.event_log_storage
        here, boot = machine_identity(), boot_id()
        dead = _run(instance, _tag(here, boot, _dead_pid()))
        alive = _run(instance, worker_tag_value)
        elsewhere = _run(instance, _tag("another-host/pid:[1]", boot, _dead_pid()))
        before_reboot = _run(instance, _tag(here, "an-earlier-boot", os.getpid()))
        # A retry inherits its parent's tags: the dead parent's worker is not the retry's.
        retry_started = _run(instance, dead.tags[WORKER_TAG])
        retry_starting = _run(instance, dead.tags[WORKER_TAG], status=dg.DagsterRunStatus.STARTING)
        storage.initialize_concurrency_limit_to_default("awo-write:labs/source")
        claim = storage.claim_concurrency_slot("awo-write:labs/source", dead.run_id, "step")
        assert claim.is_claimed
        assert not storage.claim_concurrency_slot(
            "awo-write:labs/source", alive.run_id, "step"
        ).is_claimed, "the dead run's slot blocks everyone (what this module prevents)"

        assert sorted(fail_dead_local_runs(instance)) == sorted([dead.run_id, before_reboot.run_id])

        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(before_reboot.run_id).status == dg.DagsterRunStatus.FAILURE
        for kept in (alive, elsewhere, retry_started):
            assert instance.get_run_by_id(kept.run_id).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(retry_starting.run_id).status == dg.DagsterRunStatus.STARTING
        storage.free_concurrency_slot_for_step(alive.run_id, "step")
        assert storage.claim_concurrency_slot("awo-write:labs/source", alive.run_id, "step")\
            .is_claimed  # fmt: skip


def test_a_worker_tag_names_a_dead_process_only_on_its_own_machine_and_run():
    here, boot, run = machine_identity(), "boot-1", "run-1"
    tag = f"{here}:{boot}:123:{run}"
    assert dead_worker_pid(tag, run, here, boot, alive=lambda pid: False) == 123
    assert dead_worker_pid(tag, run, here, boot, alive=lambda pid: True) is None
    assert dead_worker_pid(tag, run, here, "boot-2", alive=lambda pid: True) == 123, "rebooted"
    assert dead_worker_pid(tag, "run-2", here, boot, alive=lambda pid: False) is None, "inherited"
    assert (
        dead_worker_pid(f"elsewhere/x:{boot}:123:{run}", run, here, boot, lambda p: False) is None
    )
    assert dead_worker_pid(None, run, here, boot) is None
    assert dead_worker_pid(f"{here}:123", run, here, boot) is None, "an old-style tag"
