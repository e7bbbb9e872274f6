"""A Spark driver that stops in the middle of a step (out of memory, or killed) ends the step with
one paragraph saying so, what to change, and where Spark's log is; the step is not retried on a
session that is gone, and nothing of it is published."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from py4j.protocol import Py4JJavaError, Py4JNetworkError
from pyspark import SparkContext

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.resources import spark_driver
from adventureworks_orchestration.resources.spark_driver import Py4JSendErrors, driver_stop
from adventureworks_orchestration.storage.errors import StorageError

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env, prepare_instance
from .conftest import make_settings

OUT_OF_MEMORY = """
import json, sys
from pathlib import Path
from pyspark.sql import SparkSession
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.resources.spark_driver import driver_stop, driver_stopped_failure
from tests.conftest import make_settings

config = spark_config(make_settings(Path(sys.argv[1]), spark_driver_memory="512m"), delta=False)
builder = SparkSession.builder
for key, value in config.items():
    builder = builder.config(key, value)
spark = builder.getOrCreate()
try:  # one 600 MB string in a task of a 512 MB driver
    spark.range(1).selectExpr("length(repeat(cast(id AS STRING), 600000000))").collect()
except Exception as error:
    stop = driver_stop(spark, error)
    if stop is None:  # what the driver said, for the test's failure message
        try:  # a Py4JJavaError's repr holds no Java message; its str asks the JVM for it
            said = str(error)
        except Exception as asking:  # noqa: BLE001
            said = f"(the JVM could not say: {asking!r})"
        sys.exit(f"not taken for a stop: {type(error).__name__}: {error!r}: {said}"[:3000])
    failure = driver_stopped_failure(stop, "labs/things", ["2024-03-01", "2024-03-02"], config)
    print(json.dumps({"exit_code": stop.exit_code, "message": failure.description}))
"""


def test_a_driver_out_of_memory_is_named_with_the_setting_to_raise(tmp_path: Path):
    child = subprocess.run(
        [sys.executable, "-c", OUT_OF_MEMORY, str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )  # fmt: skip

    assert child.returncode == 0, child.stderr[-3000:]
    found = json.loads(child.stdout.strip().splitlines()[-1])
    assert found["exit_code"] == 52  # Spark's exit code for an OutOfMemoryError
    message = found["message"]
    log = tmp_path.absolute() / "logs" / "spark.log"
    assert message == (
        "labs/things: Spark's driver stopped while this step worked on 2 days "
        "(2024-03-01..2024-03-02): it ran out of memory (java.lang.OutOfMemoryError, exit code "
        f"52); Spark's log: {log}. A table write it stopped in was not published (tables the step "
        "had published before stay as published). Run fewer days at a time, or give Spark more "
        "memory, e.g. AWO_SPARK_DRIVER_MEMORY=1024m (now 512m), and run the days again."
    )
    assert "OutOfMemoryError" in log.read_text(), "the stack trace is kept in Spark's log"
    assert "\tat " not in child.stderr, f"a JVM stack trace on the console:\n{child.stderr}"


def test_an_ordinary_failure_on_a_live_session_is_not_a_stopped_driver(spark):
    """Words that also appear when a driver dies, from a JVM that is alive: an ordinary failure
    (retried as such), not reported as a stopped driver after the short waits below."""
    with pytest.raises(Exception) as raised:
        spark.sql("SELECT raise_error('java.lang.OutOfMemoryError: Connection refused')").collect()
    assert driver_stop(spark, raised.value, out_of_memory_wait=0.5) is None
    refused = ConnectionRefusedError(111, "Connection refused")  # e.g. from an S3 client
    started = time.monotonic()
    assert driver_stop(spark, refused, gone_wait=1.0) is None
    assert time.monotonic() - started < 5
    gone = Py4JNetworkError("Answer from Java side is empty")
    assert driver_stop(spark, gone, gone_wait=0.5) is None, "the test session's JVM is running"


class _Driver:
    """What ``driver_stop`` sees of a session: the driver's process (pyspark's gateway.proc),
    here a shell that exits with Spark's out-of-memory code after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.proc = subprocess.Popen(["sh", "-c", f"sleep {seconds}; exit 52"])
        self.sparkContext = SimpleNamespace(_gateway=SimpleNamespace(proc=self.proc))


class _GoneJvm:
    """A Java exception whose message can no longer be asked for: the JVM's socket is closed."""

    _target_id = "o42"

    class _gateway_client:  # noqa: N801 - py4j's attribute name
        @staticmethod
        def send_command(command: str) -> str:
            raise Py4JNetworkError("Error while sending or receiving")


class _Answering(_GoneJvm):
    """A Java exception whose message the (still running) JVM gives."""

    def __init__(self, message: str) -> None:
        self.message = message
        outer = self

        class Client:
            @staticmethod
            def send_command(command: str) -> str:
                return "ys" + outer.message  # py4j: success, a string

        self._gateway_client = Client()


@pytest.mark.parametrize("exited", [True, False], ids=["exited", "exits-a-moment-later"])
@pytest.mark.parametrize(
    "error",
    [
        pytest.param(EOFError("pyspark's read of a result socket that broke"), id="any-error"),
        pytest.param(Py4JJavaError("calling o42.collectToPython", _GoneJvm()), id="no-message"),
        pytest.param(
            Py4JJavaError(
                "calling o42.collectToPython",
                _Answering(
                    "org.apache.spark.SparkException: Job aborted due to stage failure: "
                    "java.lang.OutOfMemoryError: Java heap space"
                ),
            ),
            id="out-of-memory-before-the-exit",
        ),
    ],
)
def test_the_races_of_a_dying_driver_are_taken_for_its_stop(error, exited, monkeypatch):
    """What a loaded machine showed: the driver's own OutOfMemoryError reaching Python as a job
    failure before the JVM exits, its message no longer answerable, pyspark's non-py4j errors
    on a socket that broke a moment before the exit was visible."""
    monkeypatch.setattr(spark_driver, "EXIT_VISIBLE_SECONDS", 20.0)  # slack for a loaded machine
    driver = _Driver(0.5)
    try:
        if exited:
            driver.proc.wait()
        stop = driver_stop(driver, error, shutdown_wait=20, out_of_memory_wait=20)
    finally:
        driver.proc.kill()
        driver.proc.wait()
    assert stop is not None and stop.exit_code == 52


def test_errors_beside_a_running_driver_are_not_a_stop_after_a_bounded_wait(monkeypatch):
    monkeypatch.setattr(spark_driver, "EXIT_VISIBLE_SECONDS", 0.3)
    driver = _Driver(60)
    out_of_memory = "org.apache.spark.SparkException: ... java.lang.OutOfMemoryError: Direct buffer"
    try:
        started = time.monotonic()
        answered = Py4JJavaError("calling o7.count", _Answering("java.io.FileNotFoundException"))
        assert driver_stop(driver, answered) is None
        assert driver_stop(driver, dg.Failure("a failed check")) is None
        assert driver_stop(driver, StorageError("a lease held by another writer")) is None
        assert time.monotonic() - started < 0.3, "a Java error that names no end, a verdict"
        assert driver_stop(driver, ValueError("a bug in a transform")) is None
        assert time.monotonic() - started < 3, "EXIT_VISIBLE_SECONDS"
        executor_oom = Py4JJavaError("calling o7.count", _Answering(out_of_memory))
        assert driver_stop(driver, executor_oom, out_of_memory_wait=0.5) is None
        assert time.monotonic() - started < 6, "out_of_memory_wait"
    finally:
        driver.proc.kill()
        driver.proc.wait()


def _py4j_send_error() -> logging.LogRecord:
    """The record py4j logs (to the root logger) when its connection to the JVM breaks."""
    return logging.LogRecord(
        "root", logging.ERROR, "/x/py4j/java_gateway.py", 1, "Exception while sending command.",
        None, None,
    )  # fmt: skip


def test_py4j_send_errors_are_dropped_once_the_driver_exits_even_a_moment_after(monkeypatch):
    """A killed JVM's socket breaks a moment before its exit is visible: the record waits for it."""
    send_errors = Py4JSendErrors()
    monkeypatch.setattr(spark_driver, "EXIT_VISIBLE_SECONDS", 20.0)  # slack for a loaded machine
    driver = _Driver(0.3)
    monkeypatch.setattr(SparkContext, "_active_spark_context", driver.sparkContext)
    try:
        assert not send_errors.filter(_py4j_send_error()), "logged 0.3 s before the exit"
    finally:
        driver.proc.kill()
        driver.proc.wait()
    running = _Driver(30)
    monkeypatch.setattr(spark_driver, "EXIT_VISIBLE_SECONDS", 0.3)
    monkeypatch.setattr(SparkContext, "_active_spark_context", running.sparkContext)
    try:
        assert send_errors.filter(_py4j_send_error()), "a running driver's send errors are shown"
    finally:
        running.proc.kill()
        running.proc.wait()


def _landed(settings, days: list[str]) -> None:
    # big enough days that the source step validates for many seconds before it publishes
    config = GeneratorConfig(bookings_per_day=20_000)
    LandingWriter.local(settings.landing_dir).write(days, config)


def _spark_driver_pids(group: int) -> list[int]:
    """The SparkSubmit JVMs in a process group (the run's driver)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ProcessLookupError):
            continue
        if b"org.apache.spark.deploy.SparkSubmit" in command:
            found.append(int(entry.name))
    return found


def test_a_run_whose_driver_is_killed_fails_once_with_one_paragraph(spark, tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    days = days_in_range("2024-03-01", "2024-03-03")
    _landed(settings, days)
    env = cli_env(settings)
    prepare_instance(env["DAGSTER_HOME"])
    command = [
        bin_path("dg"), "launch", "--assets", "group:labs",
        "--partition-range", f"{days[0]}...{days[-1]}",
    ]  # fmt: skip
    launch = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        output = []
        for line in launch.stdout:
            output.append(line)
            if "ready in" in line:  # the source step's validation jobs take seconds after this
                break
        time.sleep(3)
        drivers = _spark_driver_pids(launch.pid)
        assert len(drivers) == 1, f"one driver JVM expected, found {drivers}"
        os.kill(drivers[0], signal.SIGKILL)
        output.extend(launch.stdout)
        assert launch.wait(timeout=120) != 0
    finally:
        if launch.poll() is None:
            os.killpg(launch.pid, signal.SIGKILL)
    printed = "".join(output)
    assert " writing " not in printed, "the kill came after the first publish began: kill sooner"

    assert "Spark's driver stopped while this step worked on 3 days" in printed, printed[-4000:]
    assert "killed by signal 9" in printed
    assert "AWO_SPARK_DRIVER_MEMORY=4g (now 2g)" in printed
    noises = ("ConnectionRefusedError", "Exceeded max_retries", "Py4JNetworkError", "Traceback")
    for noise in noises:
        assert noise not in printed, f"{noise} on the console:\n{printed}"
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.FAILURE
        logs = instance.all_logs(run.run_id)
        events = [e.dagster_event.event_type_value for e in logs if e.dagster_event]
    assert events.count("STEP_FAILURE") == 1
    assert "STEP_UP_FOR_RETRY" not in events, "a step on a dead session was retried"
    assert "ASSET_MATERIALIZATION" not in events
    published = list(settings.warehouse_dir.rglob("manifests/*.json"))
    assert published == [], f"published: {published}"
