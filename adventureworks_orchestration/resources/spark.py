"""The one Spark session resource (``spark_s3_rsc``), configured from settings.

Local mode on loopback by default; ``AWO_SPARK_MASTER`` points it at a cluster. A run shares one
session across all its steps because the definitions use the in-process executor.
"""

from __future__ import annotations

import time
from typing import Any

import dagster as dg
from dagster_pyspark import PySparkResource

from ..settings import Settings
from .java import require_java


def spark_config(settings: Settings) -> dict[str, Any]:
    """Spark properties for these settings; pure, so tests can assert on them."""
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
    return config


class SparkResource(PySparkResource):
    """``PySparkResource`` that checks for a usable Java first and keeps Spark's logs to warnings.

    Without the check, a missing JDK shows up as a Py4J gateway stack trace.
    """

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        require_java()
        started = time.monotonic()
        super().setup_for_execution(context)
        spark_context = self._spark_session.sparkContext
        spark_context.setLogLevel("ERROR")
        context.log.info(
            f"Spark {spark_context.version} session {spark_context.applicationId} on "
            f"{spark_context.master} ready in {time.monotonic() - started:.1f}s"
        )


def build_spark_resource(settings: Settings) -> SparkResource:
    return SparkResource(spark_config=spark_config(settings))
