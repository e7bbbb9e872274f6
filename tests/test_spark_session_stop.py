"""The Spark resource stops the session it started, and only that one, at the run's end.

(That a ``dg launch`` run leaves no block manager folder behind, even when its process group is
killed as it exits, is ``test_definitions.test_dg_launch_partition_range_is_one_run``.)
"""

from __future__ import annotations

import threading

import dagster as dg

from adventureworks_orchestration.resources import spark as spark_resource
from adventureworks_orchestration.resources.spark import SparkResource, build_spark_resource


class _Session:
    """A stand-in session: counts stops; one that hangs blocks in stop() until released."""

    def __init__(self, hangs: bool = False) -> None:
        self.stops = 0
        self.hangs = hangs
        self.release = threading.Event()

    def stop(self) -> None:
        self.stops += 1
        if self.hangs:
            self.release.wait(60)


def _resource(session: _Session, started: bool) -> SparkResource:
    resource = SparkResource(spark_config={})
    resource._spark_session = session
    resource._started_session = started
    return resource


def test_a_session_this_copy_did_not_start_is_not_stopped():
    session = _Session()
    with dg.build_init_resource_context() as context:
        _resource(session, started=False).teardown_after_execution(context)
        _resource(session, started=True).teardown_after_execution(context)
    assert session.stops == 1


def test_a_stop_that_hangs_is_given_up_and_the_run_ends(monkeypatch):
    monkeypatch.setattr(spark_resource, "STOP_WAIT_SECONDS", 0.5)
    session = _Session(hangs=True)
    with dg.build_init_resource_context() as context:
        teardown = threading.Thread(
            target=_resource(session, started=True).teardown_after_execution, args=(context,)
        )
        teardown.start()
        teardown.join(30)
    try:
        assert not teardown.is_alive(), "the run's end waited for a hung stop"
        assert session.stops == 1
    finally:
        session.release.set()


def test_a_resource_set_up_beside_a_running_session_leaves_it_running(spark, settings):
    resource = build_spark_resource(settings)
    with dg.build_init_resource_context() as context:
        resource.setup_for_execution(context)
        assert resource.spark_session.sparkContext is spark.sparkContext  # the running one
        resource.teardown_after_execution(context)

    assert spark.range(3).count() == 3  # still running: its owner stops it
