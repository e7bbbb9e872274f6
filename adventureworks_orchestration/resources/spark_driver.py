"""When Spark's driver JVM stops in the middle of a step: notice it, and say why and what to do.

Out of memory is how a too-large range of days usually ends: a task's ``OutOfMemoryError`` makes
Spark's uncaught-exception handler exit the JVM with code 52, and a JVM killed by the system's
out-of-memory killer dies of signal 9. Python only sees py4j's side of it (``Job cancelled
because SparkContext was shut down``, then ``ConnectionRefusedError`` on every later call), and
the step's RetryPolicy would start it again twice on a session that is gone. Here that becomes
one paragraph, with the cause from the JVM's exit code, the Spark log to look in and the
settings to change, raised as a failure that is not retried.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
from py4j.protocol import Py4JError, Py4JJavaError
from pyspark.sql import SparkSession

from .spark_logging import spark_log_file

SPARK_OOM_EXIT_CODE = 52  # org.apache.spark.util.SparkExitCode.OOM
# The py4j call that was waiting when the driver died sees one of these; the JVM exits only
# after its shutdown hooks, seconds later, so the exit code is waited for.
_DRIVER_GONE = re.compile(
    r"SparkContext was shut down|SparkContext has been shutdown|Answer from Java side is empty|"
    r"Error while sending or receiving|Connection refused|OutOfMemoryError"
)
EXIT_WAIT_SECONDS = 30.0


class _Py4JSendErrors(logging.Filter):
    """Drops py4j's "Exception while sending command." records (with a traceback), which py4j
    logs to the ROOT logger when the JVM has gone; the call then raises, and the step's failure
    says what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        from_py4j = record.name == "root" and record.module == "java_gateway"
        return not (from_py4j and str(record.msg).startswith("Exception while sending command"))


_PY4J_SEND_ERRORS = _Py4JSendErrors()


def quiet_py4j_send_errors() -> None:
    """Install the filter above on the root logger (once per process)."""
    root = logging.getLogger()
    if _PY4J_SEND_ERRORS not in root.filters:
        root.addFilter(_PY4J_SEND_ERRORS)


@dataclass(frozen=True)
class DriverStop:
    """How the driver ended: its exit code (None: still running, but out of memory)."""

    exit_code: int | None
    out_of_memory: bool

    @property
    def cause(self) -> str:
        if self.out_of_memory or self.exit_code == SPARK_OOM_EXIT_CODE:
            code = "" if self.exit_code is None else f", exit code {self.exit_code}"
            return f"it ran out of memory (java.lang.OutOfMemoryError{code})"
        if self.exit_code is not None and self.exit_code < 0:
            return (
                f"it was killed by signal {-self.exit_code} (with 9: the system's "
                "out-of-memory killer, or a kill -9; the system log says which)"
            )
        return f"it exited with code {self.exit_code}"


def driver_stop(
    spark: SparkSession, error: BaseException, wait_seconds: float = EXIT_WAIT_SECONDS
) -> DriverStop | None:
    """How the driver stopped, when ``error`` is the sign of it; None for any other error."""
    text = str(error)
    looks_gone = isinstance(error, ConnectionError) or (
        isinstance(error, Py4JError) and not isinstance(error, Py4JJavaError)
    )
    if not (looks_gone or _DRIVER_GONE.search(text)):
        return None
    out_of_memory = "java.lang.OutOfMemoryError" in text
    process = _driver_process(spark)
    if process is None:  # not a local JVM of ours (Spark Connect): the error text is all we have
        return DriverStop(None, out_of_memory) if out_of_memory or looks_gone else None
    try:
        return DriverStop(process.wait(timeout=wait_seconds), out_of_memory)
    except subprocess.TimeoutExpired:  # still running: only an OutOfMemoryError counts
        return DriverStop(None, True) if out_of_memory else None


def _driver_process(spark: SparkSession) -> subprocess.Popen | None:
    """The driver JVM's process: pyspark keeps the ``Popen`` it started the JVM with on the gateway
    (``java_gateway.launch_gateway``: "for use by the caller"). ``SparkContext._gateway`` is
    private; pyspark has no public way to reach the JVM process."""
    gateway = getattr(spark.sparkContext, "_gateway", None)
    process = getattr(gateway, "proc", None)
    return process if isinstance(process, subprocess.Popen) else None


def failure_if_driver_stopped(
    resource: Any, error: BaseException, step: str, days: Sequence[str]
) -> dg.Failure | None:
    """For a step's ``except``: the failure to raise instead of ``error`` when the driver of
    ``resource`` (a ``PySparkResource``: its session and configuration) stopped; else None."""
    stop = driver_stop(resource.spark_session, error)
    return None if stop is None else driver_stopped_failure(stop, step, days, resource.spark_config)


def driver_stopped_failure(
    stop: DriverStop, step: str, days: Sequence[str], spark_config: dict[str, Any]
) -> dg.Failure:
    """The one paragraph for a step whose driver stopped; never retried (the session is gone)."""
    memory = str(spark_config.get("spark.driver.memory", "1g"))
    log = spark_log_file(spark_config)
    where = f"; Spark's log: {log}" if log else ""
    return dg.Failure(
        description=(
            f"{step}: Spark's driver stopped while this step worked on {_span(days)}: "
            f"{stop.cause}{where}. Nothing of this step was published. Run fewer days at a "
            f"time, or give Spark more memory, e.g. AWO_SPARK_DRIVER_MEMORY={_doubled(memory)} "
            f"(now {memory}), and run the days again."
        ),
        metadata={
            "driver_exit_code": -1 if stop.exit_code is None else stop.exit_code,
            "spark_driver_memory": memory,
            "spark_log": log or "",
        },
        allow_retries=False,
    )


def _span(days: Sequence[str]) -> str:
    if not days:
        return "all stored days"
    return days[0] if len(days) == 1 else f"{len(days)} days ({days[0]}..{days[-1]})"


def _doubled(memory: str) -> str:
    """``2g`` -> ``4g``, ``512m`` -> ``1024m``; a value not in that form is left as it is."""
    found = re.fullmatch(r"(\d+)([kmgt]?)", memory.strip().lower())
    return f"{int(found[1]) * 2}{found[2]}" if found else memory
