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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dagster as dg
from py4j.protocol import Py4JError, Py4JJavaError
from pyspark import SparkContext
from pyspark.sql import SparkSession

from ..storage.errors import StorageError
from .spark_logging import spark_log_file

SPARK_OOM_EXIT_CODE = 52  # org.apache.spark.util.SparkExitCode.OOM
# What a call that was waiting on a dying driver gets from the JVM itself: the JVM exits only
# after its shutdown hooks, seconds later, so the exit code is waited for.
_SHUTTING_DOWN = re.compile(r"SparkContext was shut down|SparkContext has been shutdown")
SHUTDOWN_WAIT_SECONDS = 30.0
# A job that failed with an OutOfMemoryError may have been the driver's own (it is exiting, and
# the job's failure reached Python before the shutdown did), or an executor's (the driver lives
# on): waited for, shorter than a shutdown, so a live driver's failure costs 20 s at most.
_OUT_OF_MEMORY = re.compile(r"java\.lang\.OutOfMemoryError")
OUT_OF_MEMORY_WAIT_SECONDS = 20.0
# A call that found the connection gone: the process is dead, or about to be reaped.
GONE_WAIT_SECONDS = 5.0


class Py4JSendErrors(logging.Filter):
    """Drops py4j's "Exception while sending command." records (with a traceback), which py4j
    logs to the ROOT logger when its connection breaks, once the driver process has exited: the
    call then raises, and the step's failure says what happened. While the JVM runs they pass.

    A killed process's socket can break a moment before its exit is visible, so the record waits
    up to ``EXIT_VISIBLE_SECONDS`` for the exit (only such records, only when py4j failed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from_py4j = record.name == "root" and record.module == "java_gateway"
        if not (from_py4j and str(record.msg).startswith("Exception while sending command")):
            return True
        # the filter has no session of its own; pyspark names the running one only privately
        process = _driver_process(SparkContext._active_spark_context)
        return process is None or not _exits_within(process, EXIT_VISIBLE_SECONDS)


EXIT_VISIBLE_SECONDS = 1.0


def _exits_within(process: subprocess.Popen, seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


_PY4J_SEND_ERRORS = Py4JSendErrors()


def quiet_py4j_send_errors() -> None:
    """Install the filter above on the root logger (once per process)."""
    root = logging.getLogger()
    if _PY4J_SEND_ERRORS not in root.filters:
        root.addFilter(_PY4J_SEND_ERRORS)


@dataclass(frozen=True)
class DriverStop:
    """How the driver JVM ended: its exit code (negative: the signal that killed it)."""

    exit_code: int

    @property
    def memory(self) -> bool:
        """Out of memory, or killed (what the system's out-of-memory killer does)."""
        return self.exit_code in (SPARK_OOM_EXIT_CODE, -9)

    @property
    def cause(self) -> str:
        if self.exit_code == SPARK_OOM_EXIT_CODE:
            return f"it ran out of memory (java.lang.OutOfMemoryError, exit code {self.exit_code})"
        if self.exit_code == -9:
            return (
                "it was killed by signal 9 (the system's out-of-memory killer, or a kill -9; "
                "the system log says which)"
            )
        if self.exit_code < 0:
            return f"it was stopped by signal {-self.exit_code}"
        return f"it exited with code {self.exit_code}"


def driver_stop(
    spark: SparkSession | None,
    error: BaseException,
    shutdown_wait: float = SHUTDOWN_WAIT_SECONDS,
    gone_wait: float = GONE_WAIT_SECONDS,
    out_of_memory_wait: float = OUT_OF_MEMORY_WAIT_SECONDS,
) -> DriverStop | None:
    """How the driver stopped, when ``error`` came from its end; None while the driver runs
    (then ``error`` is an ordinary failure, retried as such) and for any other error.

    A driver that has already exited explains any error. Otherwise the exit is waited for: up
    to ``shutdown_wait`` on the JVM's own "SparkContext was shut down" or a Java error whose
    message the JVM could no longer give (it exits after its shutdown hooks, seconds later), up
    to ``out_of_memory_wait`` on a Java OutOfMemoryError, ``gone_wait`` on a lost connection
    (the process is about to be reaped), and ``EXIT_VISIBLE_SECONDS`` on any other error but
    the project's own verdicts, ``dg.Failure`` and ``StorageError`` (pyspark raises its own
    errors, or ``EOFError``, when a result socket breaks, a moment before the exit is visible).
    A live driver's Java error that does not name its end is never waited on."""
    try:
        process = _driver_process(spark.sparkContext if spark is not None else None)
    except Exception:  # noqa: BLE001 - no SparkContext here (Spark Connect): nothing to ask
        return None
    if process is None:
        return None
    if process.poll() is not None:
        return DriverStop(process.returncode)
    if isinstance(error, Py4JJavaError):
        message = _java_message(error)
        if message is None or _SHUTTING_DOWN.search(message):
            wait = shutdown_wait
        elif _OUT_OF_MEMORY.search(message):
            wait = out_of_memory_wait
        else:
            return None  # the JVM answered, and not about its end
    elif isinstance(error, Py4JError | ConnectionError):
        wait = gone_wait
    elif isinstance(error, dg.Failure | StorageError):
        return None  # the project's own verdicts, raised on purpose
    else:
        wait = EXIT_VISIBLE_SECONDS  # e.g. pyspark's error on a result socket that broke
    return DriverStop(process.returncode) if _exits_within(process, wait) else None


def _java_message(error: Py4JJavaError) -> str | None:
    """The Java exception's message, which py4j asks the JVM for; None when the JVM cannot say."""
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - the call to the JVM failed: the connection is gone
        return None


def _driver_process(spark_context: SparkContext | None) -> subprocess.Popen | None:
    """The driver JVM's process: pyspark keeps the ``Popen`` it started the JVM with on the gateway
    (``java_gateway.launch_gateway``: "for use by the caller"). ``SparkContext._gateway`` is
    private; pyspark has no public way to reach the JVM process. None when this process did not
    start the JVM."""
    gateway = getattr(spark_context, "_gateway", None)
    process = getattr(gateway, "proc", None)
    return process if isinstance(process, subprocess.Popen) else None


@contextmanager
def driver_stop_fails_step(resource: Any, step: str, days: Sequence[str]) -> Iterator[None]:
    """Around a step's Spark work: an error that comes from the stopped driver of ``resource``
    (a ``PySparkResource``: its session and configuration) becomes ``driver_stopped_failure``;
    any other error passes unchanged."""
    try:
        yield
    except Exception as error:
        stop = driver_stop(resource.spark_session, error)
        if stop is None:
            raise
        raise driver_stopped_failure(stop, step, days, resource.spark_config) from None


def driver_stopped_failure(
    stop: DriverStop, step: str, days: Sequence[str], spark_config: dict[str, Any]
) -> dg.Failure:
    """The one paragraph for a step whose driver stopped; never retried (the session is gone).

    What it says of the tables is what the storage guarantees (README, *What a write
    guarantees*): a write the driver died in is not published, and a source step's tables
    published before it stay published.
    """
    memory = str(spark_config.get("spark.driver.memory", "1g"))
    log = spark_log_file(spark_config)
    where = f"; Spark's log: {log}" if log else ""
    if stop.memory:
        advice = (
            "Run fewer days at a time, or give Spark more memory, e.g. "
            f"AWO_SPARK_DRIVER_MEMORY={_doubled(memory)} (now {memory}), and run the days again."
        )
    else:
        advice = "Run the days again; if it happens again, Spark's log says why."
    return dg.Failure(
        description=(
            f"{step}: Spark's driver stopped while this step worked on {_span(days)}: "
            f"{stop.cause}{where}. A table write it stopped in was not published (tables the "
            f"step had published before stay as published). {advice}"
        ),
        metadata={
            "driver_exit_code": stop.exit_code,
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
