"""Spark's JVM logging for our runs, and the one "Spark session ready" line a run prints.

Without a configuration of our own, Spark logs at WARN to the console with its default profile:
every bad input file then prints ~50 lines of ``ERROR Executor: Exception in task`` stack trace
before the run's own one-paragraph error, and every start prints NativeCodeLoader warnings. The
properties file beside this module keeps the console to errors (task failures excluded: the run
reports them) and writes warnings and errors with full stack traces to
``<data dir>/logs/spark.log``. In local mode the driver JVM also runs the executors, so one file
covers both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOG4J2_PROPERTIES = Path(__file__).with_name("log4j2-spark.properties")
DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def spark_log_dir(data_dir: Path) -> Path:
    """Where the driver's Spark log file goes: beside the data, so each data folder has its own."""
    return Path(data_dir).absolute() / "logs"


def spark_logging_config(data_dir: Path) -> dict[str, str]:
    """The driver JVM options that load our log4j2 configuration, writing under ``data_dir``."""
    return {
        DRIVER_JAVA_OPTIONS: (
            f"-Dlog4j2.configurationFile={LOG4J2_PROPERTIES.as_uri()} "
            f"-Dawo.spark.log.dir={spark_log_dir(data_dir)}"
        )
    }


def session_ready_message(spark_context: Any, spark_config: dict[str, Any], seconds: float) -> str:
    """One line saying which Spark started, where, for which storage, and where its log is."""
    storage = "local files"
    if spark_config.get("spark.hadoop.fs.s3a.impl"):
        storage = f"S3 at {spark_config.get('spark.hadoop.fs.s3a.endpoint', 'AWS')}"
    options = str(spark_config.get(DRIVER_JAVA_OPTIONS, ""))
    log_dir = next(
        (o.split("=", 1)[1] for o in options.split() if o.startswith("-Dawo.spark.log.dir=")), None
    )
    log = f"; Spark log: {log_dir}/spark.log" if log_dir else ""
    return (
        f"Spark {spark_context.version} ready in {seconds:.1f}s "
        f"({spark_context.master}, {storage}, application {spark_context.applicationId}){log}"
    )
