"""The one Spark session resource (``spark_s3_rsc``), configured from settings.

Local mode on loopback by default; ``AWO_SPARK_MASTER`` points it at a cluster. A run shares one
session across all its steps because the definitions use the in-process executor.
"""

from __future__ import annotations

import os
import time
from typing import Any

import dagster as dg
from dagster_pyspark import PySparkResource
from pyspark.sql import SparkSession

from ..dead_runs import fail_dead_local_runs, record_worker
from ..settings import Settings
from ..storage.s3 import (
    ObjectStoreError,
    check_buckets,
    check_conditional_writes,
    s3_settings_from_spark_config,
)
from .delta_spark import with_delta
from .java import require_java
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
    }
    if settings.spark_master.startswith("local"):
        config["spark.driver.host"] = "127.0.0.1"
        config["spark.driver.bindAddress"] = "127.0.0.1"
    else:
        config.update(cluster_config(settings))
    if settings.uses_s3:
        config.update(s3a_config(settings))
    config.update(spark_logging_config(settings.data_dir))
    uses_delta = settings.table_format == "delta" if delta is None else delta
    if uses_delta:
        config = with_delta(config, settings)
    return config


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
        "spark.hadoop.fs.s3a.access.key": s3.access_key_id or "",
        "spark.hadoop.fs.s3a.secret.key": s3.secret_access_key or "",
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


class SparkResource(PySparkResource):
    """``PySparkResource`` that checks what Spark will need before starting it.

    A missing JDK, an unreachable S3 endpoint, wrong keys or a missing bucket would otherwise show
    up as a Py4J or S3A stack trace after minutes of retries; here each is one sentence at the
    start of the run.
    """

    preflight_s3_buckets: list[str] = []
    # the bucket tables commit to: its store must honour conditional writes (storage/s3.py)
    preflight_commit_bucket: str = ""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        require_java()
        _account_for_run_workers(context)
        if self.spark_config.get("spark.master", "").startswith("local"):
            # Without it Spark picks the first non-loopback interface for some of its services.
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if self.preflight_s3_buckets:
            try:
                store = s3_settings_from_spark_config(self.spark_config)
                check_buckets(store, self.preflight_s3_buckets)
                if self.preflight_commit_bucket:
                    check_conditional_writes(store, self.preflight_commit_bucket)
            except ObjectStoreError as exc:
                raise dg.Failure(description=str(exc)) from None
        started, starting = time.monotonic(), SparkSession.getActiveSession() is None
        with jar_resolution_lock(self.spark_config):
            super().setup_for_execution(context)
        if starting:  # once per run: the IO manager's nested copy of this resource reuses it
            seconds = time.monotonic() - started
            message = session_ready_message(
                self._spark_session.sparkContext, self.spark_config, seconds
            )
            context.log.info(message)


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
    return SparkResource(
        spark_config=spark_config(settings, delta=delta),
        preflight_s3_buckets=buckets,
        preflight_commit_bucket=settings.s3.warehouse_bucket if settings.uses_s3 else "",
    )
