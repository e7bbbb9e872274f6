"""The driver JVM's class-data-sharing archive (resources/class_archive.py): used only when there
is one for the driver's class path, made once even when asked for twice at once, never left half
written, and really mapped by the next driver."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adventureworks_orchestration.resources.class_archive import (
    archive_path,
    create_class_archive,
)
from adventureworks_orchestration.resources.spark import spark_config
from adventureworks_orchestration.resources.spark_jars import HADOOP_AWS_VERSION
from adventureworks_orchestration.resources.spark_logging import DRIVER_JAVA_OPTIONS
from adventureworks_orchestration.settings import S3Settings, Settings

from .class_archives import ARCHIVE_DIR_VARIABLE


def _options(config: dict) -> list[str]:
    return shlex.split(config.get(DRIVER_JAVA_OPTIONS, ""))


def test_without_a_folder_or_an_archive_the_driver_options_are_unchanged(tmp_path):
    settings = Settings(data_dir=tmp_path / "my data")
    plain = spark_config(settings)
    assert not any("SharedArchiveFile" in o for o in _options(plain))
    folder = tmp_path / "archives"
    assert spark_config(settings.with_overrides(spark_class_archive_dir=folder)) == plain


def test_the_archive_of_the_class_path_is_mapped_without_warnings(tmp_path):
    folder = tmp_path / "my archives"
    settings = Settings(data_dir=tmp_path / "my data", spark_class_archive_dir=folder)
    plain = spark_config(settings)
    folder.mkdir()
    archive_path(folder, plain).write_bytes(b"an archive")

    options = _options(spark_config(settings))

    assert f"-XX:SharedArchiveFile={archive_path(folder, plain)}" in options  # one argument
    assert {"-Xlog:cds=off", "-Xlog:cds+dynamic=off"} <= set(options)
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


def test_the_next_driver_loads_sparks_classes_from_the_trained_archive(tmp_path):
    """The archive the tests' own children use (made here, or by the suite's trainer meanwhile):
    a new driver with it loads SparkContext from the archive, not from Spark's jar."""
    folder = Path(os.environ[ARCHIVE_DIR_VARIABLE])
    config = spark_config(Settings(data_dir=tmp_path, spark_class_archive_dir=folder))
    create_class_archive(config, folder)
    config = spark_config(Settings(data_dir=tmp_path, spark_class_archive_dir=folder))
    loaded = tmp_path / "classes.log"
    config[DRIVER_JAVA_OPTIONS] += f' "-Xlog:class+load=info:file={loaded}"'
    child = (
        "import json, sys\n"
        "from pyspark.sql import SparkSession\n"
        "builder = SparkSession.builder\n"
        "for key, value in json.loads(sys.argv[1]).items(): builder = builder.config(key, value)\n"
        "builder.getOrCreate().range(3).count()\n"
    )
    subprocess.run([sys.executable, "-c", child, json.dumps(config)], check=True, timeout=300)

    (line,) = [
        line
        for line in loaded.read_text().splitlines()
        if " org.apache.spark.SparkContext source:" in line
    ]
    assert "source: shared objects file (top)" in line, line
