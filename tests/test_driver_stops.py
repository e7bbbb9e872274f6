"""A Spark driver that stops in the middle of a step (out of memory, or killed) ends the step with
one paragraph saying so, what to change, and where Spark's log is; the step is not retried on a
session that is gone, and nothing of it is published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from py4j.protocol import Py4JNetworkError

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.resources.spark_driver import driver_stop

from .cli_helpers import PROJECT_ROOT, bin_path, cli_env, prepare_instance
from .conftest import make_settings

OUT_OF_MEMORY = """
import json, sys
from pathlib import Path
from pyspark.sql import SparkSession
from adventureworks_orchestration.resources.spark import spark_config
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
    (retried as such), neither waited on nor reported as a stopped driver."""
    with pytest.raises(Exception) as raised:
        spark.sql("SELECT raise_error('java.lang.OutOfMemoryError: Connection refused')").collect()
    assert driver_stop(spark, raised.value) is None
    refused = ConnectionRefusedError(111, "Connection refused")  # e.g. from an S3 client
    started = time.monotonic()
    assert driver_stop(spark, refused, gone_wait=1.0) is None
    assert time.monotonic() - started < 5
    gone = Py4JNetworkError("Answer from Java side is empty")
    assert driver_stop(spark, gone, gone_wait=0.5) is None, "the test session's JVM is running"


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
