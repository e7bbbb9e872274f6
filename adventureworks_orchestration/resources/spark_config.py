"""The Spark properties of a session for given settings: pure, no Dagster, no session.

Used by the Spark resource (``resources/spark.py``) and by what starts a session without Dagster:
the bare-Spark benchmark, the class-archive training, the CLI's Delta commands, the tests.
"""

from __future__ import annotations

from typing import Any

from ..settings import Settings
from .class_archive import with_class_archive
from .delta_spark import with_delta
from .local_file_system import runs_in_the_driver_jvm, with_local_file_system
from .spark_jars import s3a_jars_config
from .spark_logging import spark_logging_config


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
