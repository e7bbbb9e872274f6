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

import shlex
from pathlib import Path
from typing import Any

LOG4J2_PROPERTIES = Path(__file__).with_name("log4j2-spark.properties")
DRIVER_JAVA_OPTIONS = "spark.driver.extraJavaOptions"


def spark_log_dir(data_dir: Path) -> Path:
    """Where the driver's Spark log file goes: beside the data, so each data folder has its own."""
    return Path(data_dir).absolute() / "logs"


def java_option(name: str, value: str) -> str:
    """``-Dname=value`` quoted for Spark's option splitting (see ``quoted``)."""
    return quoted(f"-D{name}={value}")


def quoted(option: str) -> str:
    """One JVM option quoted for Spark's option splitting (double quotes, backslash escapes): a
    data folder like ``~/My Projects/data`` must not split into two JVM arguments, which stops
    the JVM from starting at all."""
    escaped = option.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def spark_logging_config(data_dir: Path) -> dict[str, str]:
    """The driver JVM options that load our log4j2 configuration, writing under ``data_dir``."""
    return {
        DRIVER_JAVA_OPTIONS: " ".join(
            [
                java_option("log4j2.configurationFile", LOG4J2_PROPERTIES.as_uri()),
                java_option("awo.spark.log.dir", str(spark_log_dir(data_dir))),
            ]
        )
    }


def spark_log_file(spark_config: dict[str, Any]) -> str | None:
    """The driver's Spark log file that ``spark_config`` sets up, if it sets one up."""
    options = shlex.split(str(spark_config.get(DRIVER_JAVA_OPTIONS, "")))
    log_dir = next(
        (o.split("=", 1)[1] for o in options if o.startswith("-Dawo.spark.log.dir=")), None
    )
    return f"{log_dir}/spark.log" if log_dir else None


def session_ready_message(spark_context: Any, spark_config: dict[str, Any], seconds: float) -> str:
    """One line saying which Spark started, where, for which storage, and where its log is."""
    storage = "local files"
    if spark_config.get("spark.hadoop.fs.s3a.impl"):
        storage = f"S3 at {spark_config.get('spark.hadoop.fs.s3a.endpoint', 'AWS')}"
    log_file = spark_log_file(spark_config)
    log = f"; Spark log: {log_file}" if log_file else ""
    return (
        f"Spark {spark_context.version} ready in {seconds:.1f}s "
        f"({spark_context.master}, {storage}, application {spark_context.applicationId}){log}"
    )
