"""The driver JVM's class-data-sharing archive (resources/class_archive.py): used only when there
is one for the driver's class path, made once even when asked for twice at once, never left half
written, and really mapped by the next driver."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adventureworks_orchestration.resources.class_archive import (
    archive_path,
    create_class_archive,
    train_in_a_child,
    with_class_archive,
)
from adventureworks_orchestration.resources.local_file_system import DRIVER_CLASS_PATH
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.resources.spark_jars import HADOOP_AWS_VERSION
from adventureworks_orchestration.resources.spark_logging import DRIVER_JAVA_OPTIONS
from adventureworks_orchestration.settings import S3Settings, Settings

from .class_archive_trainer import ARCHIVE_DIR_VARIABLE


def _options(config: dict) -> list[str]:
    return shlex.split(config.get(DRIVER_JAVA_OPTIONS, ""))


def test_without_a_folder_or_an_archive_the_driver_options_are_unchanged(tmp_path):
    settings = Settings(data_dir=tmp_path / "my data")
    plain = spark_config(settings)
    assert not any("SharedArchiveFile" in o for o in _options(plain))
    folder = tmp_path / "archives"
    assert spark_config(settings.with_overrides(spark_class_archive_dir=folder)) == plain


def test_the_archive_of_the_class_path_is_mapped_quietly(tmp_path):
    folder = tmp_path / "my archives"
    settings = Settings(data_dir=tmp_path / "my data", spark_class_archive_dir=folder)
    plain = spark_config(settings)
    folder.mkdir()
    archive_path(folder, plain).write_bytes(b"an archive")

    options = _options(spark_config(settings))

    assert f"-XX:SharedArchiveFile={archive_path(folder, plain)}" in options  # one argument
    assert "-Xlog:cds*=off" in options
    assert set(_options(plain)) < set(options), "the logging options are kept"


def test_each_class_path_has_its_own_archive_and_a_new_jar_needs_a_new_one(tmp_path):
    cache = tmp_path / "ivy"
    (cache / "jars").mkdir(parents=True)
    (cache / "jars" / f"org.apache.hadoop_hadoop-aws-{HADOOP_AWS_VERSION}.jar").write_bytes(b"x")
    s3 = S3Settings(endpoint="http://127.0.0.1:1", access_key_id="a", secret_access_key="b")
    local = spark_config(Settings(data_dir=tmp_path, spark_jars_cache=cache))
    on_s3 = spark_config(Settings(data_dir=tmp_path, spark_jars_cache=cache, storage="s3", s3=s3))
    before = archive_path(tmp_path, on_s3)

    (cache / "jars" / "io.delta_delta-spark.jar").write_bytes(b"y")

    assert archive_path(tmp_path, local) != before
    assert archive_path(tmp_path, on_s3) != before, "the JVM would refuse the old archive"


def test_two_callers_asking_at_once_make_it_once(tmp_path):
    trained = []

    def slow_training(config):
        trained.append(config)
        time.sleep(0.5)
        partial = re.search(r"-XX:ArchiveClassesAtExit=([^\"]+)", config[DRIVER_JAVA_OPTIONS])
        Path(partial.group(1)).write_bytes(b"an archive")
        return subprocess.CompletedProcess([], 0, "", "")

    config = spark_config(Settings(data_dir=tmp_path))
    found = []
    askers = [
        threading.Thread(
            target=lambda: found.append(create_class_archive(config, tmp_path, slow_training))
        )
        for _ in range(2)
    ]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()

    assert len(trained) == 1
    assert found == [archive_path(tmp_path, config)] * 2
    assert archive_path(tmp_path, config).read_bytes() == b"an archive"


def test_a_failed_training_leaves_no_archive_and_says_why(tmp_path):
    def failing_training(config):
        partial = re.search(r"-XX:ArchiveClassesAtExit=([^\"]+)", config[DRIVER_JAVA_OPTIONS])
        Path(partial.group(1)).write_bytes(b"half an archive")
        return subprocess.CompletedProcess([], 1, "", "the training's own error")

    config = spark_config(Settings(data_dir=tmp_path))

    with pytest.raises(RuntimeError, match="exit code 1.*\n.*the training's own error"):
        create_class_archive(config, tmp_path, failing_training)
    assert not archive_path(tmp_path, config).exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_a_session_whose_jars_are_not_cached_yet_gets_no_archive(tmp_path):
    config = spark_config(Settings(data_dir=tmp_path, spark_jars_cache=tmp_path / "empty"))
    s3_config = {**config, "spark.jars.packages": "org.apache.hadoop:hadoop-aws:3.5.0"}

    with pytest.raises(ValueError, match="not cached yet"):
        create_class_archive(s3_config, tmp_path / "archives")
    assert not (tmp_path / "archives").exists()


def test_the_next_driver_loads_sparks_classes_from_the_trained_archive(tmp_path):
    """The archive the tests' own children use (made here, or by the suite's trainer meanwhile):
    a new driver with it loads SparkContext from the archive, not from Spark's jar."""
    folder = Path(os.environ[ARCHIVE_DIR_VARIABLE])
    create_class_archive(spark_config(Settings(data_dir=tmp_path)), folder)
    config = spark_config(Settings(data_dir=tmp_path, spark_class_archive_dir=folder))

    output, loaded = _start_a_driver(config, tmp_path)

    assert "source: shared objects file (top)" in loaded, loaded
    assert "cds" not in output.lower(), output


def test_an_archive_the_jvm_cannot_use_costs_nothing_but_the_gain(tmp_path):
    """The archive of another class path (as after a jar changed): the driver starts without it,
    and the console says nothing about it."""
    trained = create_class_archive(
        spark_config(Settings(data_dir=tmp_path)), Path(os.environ[ARCHIVE_DIR_VARIABLE])
    )
    folder = tmp_path / "archives"
    folder.mkdir()
    (tmp_path / "classes").mkdir()
    settings = Settings(data_dir=tmp_path, spark_class_archive_dir=folder)
    other = spark_config(settings)
    other[DRIVER_CLASS_PATH] += f":{tmp_path / 'classes'}"
    shutil.copyfile(trained, archive_path(folder, other))
    config = with_class_archive(other, folder)
    assert "SharedArchiveFile" in config[DRIVER_JAVA_OPTIONS]

    output, loaded = _start_a_driver(config, tmp_path)

    assert "source: file:" in loaded and "spark-core" in loaded, loaded
    assert "cds" not in output.lower() and "shared archive" not in output.lower(), output


def _start_a_driver(config: dict, tmp_path: Path) -> tuple[str, str]:
    """A new driver with ``config`` runs a job: its console output, and where SparkContext's
    class came from."""
    classes = tmp_path / "classes.log"
    logged = f'"-Xlog:class+load=info:file={classes}"'
    config = {**config, DRIVER_JAVA_OPTIONS: f"{config[DRIVER_JAVA_OPTIONS]} {logged}"}
    child = (
        "import json, sys\n"
        "from pyspark.sql import SparkSession\n"
        "builder = SparkSession.builder\n"
        "for key, value in json.loads(sys.argv[1]).items(): builder = builder.config(key, value)\n"
        "assert builder.getOrCreate().range(3).count() == 3\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, json.dumps(config)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [
        line
        for line in classes.read_text().splitlines()
        if " org.apache.spark.SparkContext source:" in line
    ]
    return done.stdout + done.stderr, line


def test_a_partial_archive_left_by_a_dead_training_is_cleared(tmp_path):
    config = spark_config(Settings(data_dir=tmp_path))
    path = archive_path(tmp_path, config)
    left = path.with_name(f"{path.stem}.99999.partial")
    left.write_bytes(b"half an archive of a killed training")

    def training(config):
        partial = re.search(r"-XX:ArchiveClassesAtExit=([^\"]+)", config[DRIVER_JAVA_OPTIONS])
        Path(partial.group(1)).write_bytes(b"an archive")
        return subprocess.CompletedProcess([], 0, "", "")

    create_class_archive(config, tmp_path, training)

    assert not left.exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_a_training_that_ends_early_leaves_no_child_running(tmp_path):
    children = []

    def interrupted(child):
        children.append(child)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_in_a_child(spark_config(Settings(data_dir=tmp_path)), interrupted)
    (child,) = children
    assert child.poll() is not None, "the training's child still runs"
