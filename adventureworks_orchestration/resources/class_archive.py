"""A class-data-sharing archive for the driver JVM: the classes a Spark session loads at every
start, mapped from one file instead of read from Spark's jars and verified again.

Each driver JVM loads and verifies thousands of classes from Spark's jars before its first job.
The JDK can write the classes a process loaded to an archive when it exits
(``-XX:ArchiveClassesAtExit``, a *dynamic* CDS archive, JDK 13+) and map them at the next start
(``-XX:SharedArchiveFile``). Measured on 2 cores, a 3-day ``dg launch`` of the whole graph on a
local folder with the default JVM options: 28.9 s instead of 31.3 s (medians of 4 runs each, in
turn; median paired ratio 0.91); with the tests' quick JIT tier Spark was ready in 3.0 s instead
of 4.8 s and the whole machine used 28.3 instead of 32.4 CPU seconds (2 runs each).

An archive fits only the JDK and the class path it was made with (the jars' sizes and times
included); the JVM checks them at start and, when they differ, starts without it, and the option
here keeps its warning off the console (tested with the archive of another class path). An
archive is named by a hash of what the JVM checks (the java executable, Spark's jars, the
driver's extra class path), so a change leads to a new archive rather than to a stale one.

Off by default: ``AWO_SPARK_CLASS_ARCHIVE_DIR`` names a folder, and ``create_class_archive`` (or
``python -m adventureworks_orchestration.resources.class_archive``) fills it, one archive (~170 MB)
per class path (a local folder; S3 or Delta), in a training session of ~30 s. The test suite does
this for its child processes (``tests/class_archive_trainer.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .local_file_system import DRIVER_CLASS_PATH, runs_in_the_driver_jvm
from .spark_logging import DRIVER_JAVA_OPTIONS, quoted

_MODULE = __spec__.name  # this module's name, also when it runs with -m
# Without it a JVM that cannot use the archive says so on stdout ([warning][cds,dynamic] ...).
QUIET = ("-Xlog:cds*=off",)


def archive_path(directory: Path, spark_config: dict[str, Any]) -> Path:
    """Where the archive for the driver of ``spark_config`` is (or would be): named by what the
    JVM checks (see the module), a ``folder/*`` entry by the jars in it now."""
    import pyspark

    from .java import require_java

    spark_jars = Path(pyspark.__file__).parent / "jars" / "*"
    checked = [str(require_java().executable.resolve()), str(spark_jars)]
    class_path = str(spark_config.get(DRIVER_CLASS_PATH, ""))
    key = "\0".join([pyspark.__version__, *_files(":".join([*checked, class_path]))])
    return Path(directory) / f"spark-driver-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"


def _files(class_path: str) -> list[str]:
    found = []
    for entry in filter(None, class_path.split(":")):
        paths = sorted(Path(entry[:-2]).glob("*.jar")) if entry.endswith("/*") else [Path(entry)]
        for path in paths:
            status = path.stat() if path.exists() else None
            found.append(f"{path}:{status.st_size}:{status.st_mtime_ns}" if status else str(path))
    return found


def with_class_archive(spark_config: dict[str, Any], directory: Path) -> dict[str, Any]:
    """``spark_config`` whose driver maps the archive of its class path, when there is one."""
    path = archive_path(directory, spark_config)
    if not path.is_file():
        return spark_config
    options = [f"-XX:SharedArchiveFile={path}", *QUIET]
    return {**spark_config, DRIVER_JAVA_OPTIONS: _with_options(spark_config, options)}


def create_class_archive(
    spark_config: dict[str, Any],
    directory: Path,
    train: Callable[[dict[str, Any]], subprocess.CompletedProcess] | None = None,
) -> Path:
    """Write the archive for ``spark_config``'s driver (unless it exists) and return its path.

    ``train`` (default: ``train_in_a_child``) runs a session with the config it gets, whose JVM
    writes the archive when it exits. It is written under a temporary name and renamed when whole,
    so a session never maps a half-written archive; a second caller asking for the same archive
    meanwhile waits for it (a file lock).
    """
    if ":" in str(directory):
        raise ValueError(f"{directory}: the JVM reads a ':' in an archive's path as a separator")
    if spark_config.get("spark.jars.packages"):
        raise ValueError(
            "the session's jars are not cached yet (spark.jars.packages): run a day first, so "
            "that the archive is made for the class path the runs will have"
        )
    path = archive_path(directory, spark_config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            for left in path.parent.glob(f"{path.stem}.*.partial"):  # of a training that died
                left.unlink(missing_ok=True)
            _write_archive(spark_config, path, train or train_in_a_child)
    return path


def train_in_a_child(
    spark_config: dict[str, Any],
    started: Callable[[subprocess.Popen], None] | None = None,
    **popen: Any,
) -> subprocess.CompletedProcess:
    """The training session (``_train``) in a child process (a Python process has at most one
    Spark driver); ``started`` gets the child (to stop it), ``popen``: more ``Popen`` arguments.
    The child is killed if this call ends early (a timeout, an interrupt)."""
    child = subprocess.Popen(
        [sys.executable, "-m", _MODULE, "--train"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)},
        **popen,
    )
    try:
        if started is not None:
            started(child)
        out, err = child.communicate(json.dumps(spark_config), timeout=TRAINING_SECONDS)
    except BaseException:
        child.kill()
        child.wait()
        raise
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


TRAINING_SECONDS = 600


def _write_archive(
    spark_config: dict[str, Any],
    path: Path,
    train: Callable[[dict[str, Any]], subprocess.CompletedProcess],
) -> None:
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
    options = [f"-XX:ArchiveClassesAtExit={partial}", *QUIET]
    try:
        options_value = _with_options(spark_config, options)
        training = train({**spark_config, DRIVER_JAVA_OPTIONS: options_value})
        if training.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise RuntimeError(
                f"the training session (exit code {training.returncode}) wrote no class archive "
                f"at {partial}:\n{training.stderr[-3000:]}"
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _with_options(spark_config: dict[str, Any], options: list[str]) -> str:
    existing = str(spark_config.get(DRIVER_JAVA_OPTIONS, ""))
    return " ".join(filter(None, [existing, *(quoted(o) for o in options)]))


def _train(spark_config: dict[str, Any]) -> None:
    """What a run's session does, in small: CSV written per day and read back by schema, joins,
    windows and aggregates, a Python worker over Arrow batches, Delta when the session has it.
    Then the JVM exits normally (it writes its archive only then)."""
    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F

    builder = SparkSession.builder.appName("class-archive-training")
    for key, value in spark_config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    with tempfile.TemporaryDirectory() as folder:
        rows = [(i, i % 7, f"2024-01-0{1 + i % 3}", float(i)) for i in range(60)]
        frame = spark.createDataFrame(rows, "id int, member int, day string, cost double")
        frame.write.partitionBy("day").option("header", True).csv(f"{folder}/csv")
        read = spark.read.schema(frame.schema).option("header", True).csv(f"{folder}/csv")
        ranked = read.withColumn(
            "n", F.row_number().over(Window.partitionBy("member").orderBy("id"))
        )
        joined = ranked.join(F.broadcast(read.select("id", F.col("cost").alias("c"))), "id").join(
            read.groupBy("day").agg(F.sum("cost").alias("total")), "day"
        )
        joined.mapInArrow(lambda batches: batches, joined.schema).count()
        if "delta" in str(spark_config.get("spark.sql.extensions", "")).lower():
            read.write.format("delta").partitionBy("day").save(f"{folder}/delta")
            spark.read.format("delta").load(f"{folder}/delta").groupBy("day").count().collect()
    spark.stop()
    _exit_the_driver(spark)


def _exit_the_driver(spark: Any) -> None:
    """Close the driver JVM's input, which it takes as its Python process ending (pyspark's
    gateway exits the JVM then), and wait until it has exited and written its archive. pyspark
    keeps the JVM's process only privately (``SparkContext._gateway.proc``)."""
    from pyspark import SparkContext

    process = SparkContext._gateway.proc  # type: ignore[union-attr]
    process.stdin.close()
    if process.wait(timeout=300) != 0:
        raise RuntimeError(f"the driver JVM exited with code {process.returncode}")


def main(argv: list[str]) -> int:
    """``--train``: the training session (config as JSON on stdin); else the archive for the
    current settings (``AWO_*``), made if missing, its path printed."""
    if argv == ["--train"]:
        _train(json.loads(sys.stdin.read()))
        return 0
    from ..settings import get_settings
    from .spark_config import spark_config

    settings = get_settings()
    if settings.spark_class_archive_dir is None:
        sys.stderr.write("set AWO_SPARK_CLASS_ARCHIVE_DIR to the folder for the archives\n")
        return 2
    if not runs_in_the_driver_jvm(settings.spark_master):
        sys.stderr.write("make the archive with a local master (AWO_SPARK_MASTER=local[2])\n")
        return 2
    try:
        path = create_class_archive(spark_config(settings), settings.spark_class_archive_dir)
    except ValueError as error:
        sys.stderr.write(f"{error}\n")
        return 2
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
