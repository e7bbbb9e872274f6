"""The one Spark session resource (``spark_s3_rsc``), configured from settings.

Local mode on loopback by default; ``AWO_SPARK_MASTER`` points it at a cluster. A run shares one
session across all its steps because the definitions use the in-process executor.

The session's properties come from ``spark_config.py`` (pure, no Dagster). The S3 keys are not
part of them (Dagster shows them as the resource's configured value): the resource gets them as
``dg.EnvVar`` fields and adds them to the session's properties only when it starts the session,
at run time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import replace

import dagster as dg
from dagster_pyspark import PySparkResource
from dagster_pyspark.resources import spark_session_from_config
from pydantic import PrivateAttr
from pyspark.sql import SparkSession

from ..dead_runs import fail_dead_local_runs, record_worker
from ..settings import ACCESS_KEY_ID_VARIABLE, SECRET_ACCESS_KEY_VARIABLE, Settings
from ..storage.s3 import (
    ObjectStoreError,
    check_buckets,
    check_conditional_writes,
    s3_settings_from_spark_config,
)
from .java import require_java
from .spark_config import s3a_credentials_config, spark_config
from .spark_driver import quiet_py4j_send_errors
from .spark_jars import jar_resolution_lock
from .spark_logging import session_ready_message

# One session start at a time in this process, so that the copy whose call started the context
# is the only one that sees it start after its call (``SparkResource._started_session``).
_SESSION_START = threading.Lock()
STOP_WAIT_SECONDS = 60.0  # how long a run's end waits for its Spark session to stop


class SparkResource(PySparkResource):
    """``PySparkResource`` that checks what Spark will need before starting it.

    A missing JDK, an unreachable S3 endpoint, wrong keys or a missing bucket would otherwise show
    up as a Py4J or S3A stack trace after minutes of retries; here each is one sentence at the
    start of the run.

    ``s3_access_key_id`` / ``s3_secret_access_key`` are given as ``dg.EnvVar`` (see
    ``build_spark_resource``), so Dagster shows the variables' names, not their values.
    """

    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    preflight_s3_buckets: list[str] = []
    # the bucket tables commit to: its store must honour conditional writes (storage/s3.py)
    preflight_commit_bucket: str = ""
    _started_session: bool = PrivateAttr(default=False)  # this copy started it: it stops it

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        require_java()
        quiet_py4j_send_errors()
        _account_for_run_workers(context)
        if self.spark_config.get("spark.master", "").startswith("local"):
            # Without it Spark picks the first non-loopback interface for some of its services.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            # Spark's Python workers run ``python3`` from PATH unless told otherwise: a run
            # started as ``.venv/bin/dg launch`` (venv not activated) or by a service would get
            # an interpreter without pyarrow or this project. Local workers use ours.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if self.preflight_s3_buckets:
            try:
                store = replace(
                    s3_settings_from_spark_config(self.spark_config),
                    access_key_id=self.s3_access_key_id,
                    secret_access_key=self.s3_secret_access_key,
                )
                check_buckets(store, self.preflight_s3_buckets)
                if self.preflight_commit_bucket:
                    check_conditional_writes(store, self.preflight_commit_bucket)
            except ObjectStoreError as exc:
                raise dg.Failure(description=str(exc)) from None
        started, starting = time.monotonic(), SparkSession.getActiveSession() is None
        # PySparkResource.setup_for_execution with the keys added; ``_spark_session`` is the
        # attribute its ``spark_session`` property returns (dagster_pyspark has no public setter).
        credentials = s3a_credentials_config(self.s3_access_key_id, self.s3_secret_access_key)
        with _SESSION_START, jar_resolution_lock(self.spark_config):
            asked_at_ms = time.time() * 1000
            self._spark_session = spark_session_from_config({**self.spark_config, **credentials})
            # a context that started after the call above is this copy's; one that existed (a
            # test's session, another copy's, another run's in this process) is its owner's
            self._started_session = self._spark_session.sparkContext.startTime >= asked_at_ms
        if starting:  # once per run: the IO manager's nested copy of this resource reuses it
            seconds = time.monotonic() - started
            message = session_ready_message(
                self._spark_session.sparkContext, self.spark_config, seconds
            )
            context.log.info(message)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Stop the session this copy started, before the run's process exits.

        ``stop()`` deletes the driver's block manager folder (``blockmgr-*`` in the temp folder:
        the run's shuffle files and spilled blocks, ~200 MB after 30 days of 100,000 bookings).
        Left to the JVM's exit, that happens seconds after the run's process has exited, and a
        process group killed then (a container's end, a CI timeout) leaves it behind for good.
        What only the JVM's exit deletes (small folders, ``spark-*`` and ``artifacts-*``, and
        lz4-java's unpacked library) can still be left that way. A stop that does not end within
        ``STOP_WAIT_SECONDS`` (a hung driver) is given up, with a warning.
        """
        if not self._started_session or self._spark_session is None:
            return
        session = self._spark_session
        failed: list[Exception] = []  # logged here, not from the thread (it may end after the run)
        # in a thread of its own: a driver that hangs (rather than died) must not hold the run
        stopping = threading.Thread(target=_stop, args=(session, failed), daemon=True)
        stopping.start()
        stopping.join(STOP_WAIT_SECONDS)
        if stopping.is_alive():
            context.log.warning(
                f"Spark did not stop within {STOP_WAIT_SECONDS:.0f}s; the run ends without it "
                "(its scratch folders are then left to the JVM's exit)"
            )
        elif failed:  # the driver is gone: nothing of it to stop
            context.log.debug(f"Spark session not stopped: {failed[0]}")


def _stop(session: SparkSession, failed: list[Exception]) -> None:
    try:
        session.stop()
    except Exception as exc:
        failed.append(exc)


def _account_for_run_workers(context: dg.InitResourceContext) -> None:
    """Say which process runs this run, and fail runs whose process died (``dead_runs``)."""
    run = context.run
    if context.instance is None or run is None:
        return
    record_worker(context.instance, run.run_id)
    for run_id in fail_dead_local_runs(context.instance):
        context.log.warning(
            f"run {run_id} was marked failed: its process on this machine is gone (killed?); "
            "its concurrency-pool slots were freed"
        )


def build_spark_resource(settings: Settings, *, delta: bool | None = None) -> SparkResource:
    buckets = [settings.s3.warehouse_bucket, settings.s3.landing_bucket] if settings.uses_s3 else []
    keys = {}
    if settings.uses_s3:
        keys = {
            "s3_access_key_id": dg.EnvVar(ACCESS_KEY_ID_VARIABLE),
            "s3_secret_access_key": dg.EnvVar(SECRET_ACCESS_KEY_VARIABLE),
        }
    return SparkResource(
        spark_config=spark_config(settings, delta=delta),
        **keys,
        preflight_s3_buckets=buckets,
        preflight_commit_bucket=settings.s3.warehouse_bucket if settings.uses_s3 else "",
    )
