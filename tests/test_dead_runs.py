"""A run whose process was killed must not hold its pool slots for ever."""

from __future__ import annotations

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
from adventureworks_orchestration.processes import machine_identity


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _started_run(instance, tag: str) -> dg.DagsterRun:
    run = dg.DagsterRun(
        job_name="sample_job", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
        tags={WORKER_TAG: tag},
    )  # fmt: skip
    return instance.add_run(run)


def test_a_dead_local_run_is_failed_and_its_pool_slot_freed():
    with dg.instance_for_test(overrides=EMBEDDED_INSTANCE_CONFIG) as instance:
        storage = instance.event_log_storage
        dead = _started_run(instance, f"{machine_identity()}:{_dead_pid()}")
        alive = _started_run(instance, worker_tag_value())
        elsewhere = _started_run(instance, f"another-host/pid:[1]:{_dead_pid()}")
        storage.initialize_concurrency_limit_to_default("awo-write:labs/source")
        claim = storage.claim_concurrency_slot("awo-write:labs/source", dead.run_id, "step")
        assert claim.is_claimed
        assert not storage.claim_concurrency_slot(
            "awo-write:labs/source", alive.run_id, "step"
        ).is_claimed, "the dead run's slot blocks everyone (what this module prevents)"

        assert fail_dead_local_runs(instance) == [dead.run_id]

        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(elsewhere.run_id).status == dg.DagsterRunStatus.STARTED
        storage.free_concurrency_slot_for_step(alive.run_id, "step")
        assert storage.claim_concurrency_slot("awo-write:labs/source", alive.run_id, "step")\
            .is_claimed  # fmt: skip


def test_a_worker_tag_names_a_dead_process_only_on_its_own_machine():
    here = machine_identity()
    assert dead_worker_pid(f"{here}:123", here, alive=lambda pid: False) == 123
    assert dead_worker_pid(f"{here}:123", here, alive=lambda pid: True) is None
    assert dead_worker_pid("elsewhere/x:123", here, alive=lambda pid: False) is None
    assert dead_worker_pid(None, here) is None
