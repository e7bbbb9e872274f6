"""The one Spark session resource (``spark_s3_rsc``), configured from settings.

Local mode on loopback by default; ``AWO_SPARK_MASTER`` points it at a cluster. A run shares one
session across all its steps because the definitions use the in-process executor.

The S3 keys are not part of ``spark_config`` (which Dagster shows as the resource's configured
value): the resource gets them as ``dg.EnvVar`` fields and adds them to the session's properties
only when it starts the session, at run time.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import replace
from typing import Any

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
from .class_archive import with_class_archive
from .delta_spark import with_delta
from .java import require_java
from .local_file_system import runs_in_the_driver_jvm, with_local_file_system
from .spark_driver import quiet_py4j_send_errors
from .spark_jars import jar_resolution_lock, s3a_jars_config
from .spark_logging import session_ready_message, spark_logging_config


def spark_config(settings: Settings, *, delta: bool | None = None) -> dict[str, Any]:
    """Spark properties for these settings; pure, so tests can assert on them. ``delta``: whether
    any asset is stored as Delta (default: ``AWO_TABLE_FORMAT`` says so)."""
    config: dict[str, Any] = {
        "spark.app.name": "adventureworks-orchestration",
        "spark.master": settings.spark_master,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        # Spark's default since 3.x, said here so that no deployment can drop it: property values
        # whose names match are shown as *********(redacted) in the Spark UI and event logs.
        "spark.redaction.regex": REDACTION_REGEX,
    }
    if settings.spark_master.startswith("local"):
        config["spark.driver.host"] = "127.0.0.1"
        config["spark.driver.bindAddress"] = "127.0.0.1"
    else:
        config.update(cluster_config(settings))
    if settings.uses_s3:
        config.update(s3a_config(settings))
    else:
        config.update(LOCAL_FILES_CONFIG)
    config.update(spark_logging_config(settings.data_dir))
    uses_delta = settings.table_format == "delta" if delta is None else delta
    if uses_delta:
        config = with_delta(config, settings)
    if runs_in_the_driver_jvm(settings.spark_master):
        config = with_local_file_system(config)
    if settings.spark_class_archive_dir is not None:
        config = with_class_archive(config, settings.spark_class_archive_dir)
    return config


# On a local folder the driver lists the files of a read itself. Spark starts a listing JOB (one
# task per path) for a read of more than 32 paths, and a read of a table names every day's file:
# for 90 local files that job costs more than the ~90 stat calls it spreads (0.84 s against 0.39 s
# for a read of 90 small files, in one session). On S3 each path is a request, and Spark's default
# spreads them over the executors.
LOCAL_FILES_CONFIG = {"spark.sql.sources.parallelPartitionDiscovery.threshold": "100000"}

# Matches spark.hadoop.fs.s3a.access.key and .secret.key (and Spark's own secrets, passwords and
# tokens); Java regex syntax, also valid in Python's ``re`` for the tests.
REDACTION_REGEX = "(?i)secret|password|token|access[.]?key"

S3A_ACCESS_KEY = "spark.hadoop.fs.s3a.access.key"
S3A_SECRET_KEY = "spark.hadoop.fs.s3a.secret.key"


def cluster_config(settings: Settings) -> dict[str, str]:
    """What one run may take of a cluster: without ``spark.cores.max`` the first application
    takes every free core and the next one waits in Spark's WAITING state until it ends."""
    config = {
        "spark.cores.max": str(settings.spark_cores_max),
        "spark.executor.memory": settings.spark_executor_memory,
    }
    if settings.spark_driver_host:
        config["spark.driver.host"] = settings.spark_driver_host
    return config


def s3a_config(settings: Settings) -> dict[str, str]:
    """S3A for any S3-compatible store, from the lesson's environment variables.

    Unlike the lesson (``NativeS3FileSystem``, keys without ``spark.hadoop.``), Spark 4 needs the
    ``s3a://`` connector from ``hadoop-aws`` and Hadoop keys prefixed ``spark.hadoop.``. The jar
    and the AWS SDK bundle come from Maven Central once, into a persistent ivy cache. Retries are
    kept short so a wrong endpoint fails in seconds; the run's pre-flight check says why first.
    The keys are not here: see ``s3a_credentials_config``.
    """
    s3 = settings.s3
    config = {
        **s3a_jars_config(settings),
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.endpoint.region": s3.region or "us-east-1",
        "spark.hadoop.fs.s3a.aws.credentials.provider": (
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
        ),
        "spark.hadoop.fs.s3a.attempts.maximum": "3",
        "spark.hadoop.fs.s3a.retry.limit": "3",
        "spark.hadoop.fs.s3a.connection.establish.timeout": "5s",
    }
    if s3.endpoint:
        config["spark.hadoop.fs.s3a.endpoint"] = s3.endpoint
        config["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(
            s3.endpoint.startswith("https")
        ).lower()
    return config


def s3a_credentials_config(access_key_id: str | None, secret_access_key: str | None) -> dict:
    """The S3A key properties, added to the session's properties when the session starts."""
    if not (access_key_id or secret_access_key):
        return {}
    return {S3A_ACCESS_KEY: access_key_id or "", S3A_SECRET_KEY: secret_access_key or ""}


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
