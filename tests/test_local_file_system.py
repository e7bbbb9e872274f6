"""Local-mode sessions write local folders without a ``chmod`` process per file and folder
(``resources/local_file_system.py``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from adventureworks_orchestration.resources.local_file_system import (
    DRIVER_CLASS_PATH,
    FILE_SYSTEM,
    FILE_SYSTEM_KEY,
    JAR,
    JAR_SHA256,
)
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable, TableOptions

from .conftest import make_settings
from .table_helpers import rows_for
from .test_spark_config import _cache_with_jars, _s3_settings


def test_the_vendored_jar_is_the_one_maven_central_publishes():
    assert hashlib.sha256(JAR.read_bytes()).hexdigest() == JAR_SHA256


def test_local_masters_get_the_file_system_and_its_jar_before_the_s3a_jars(tmp_path):
    jars = _cache_with_jars(tmp_path)

    local = spark_config(make_settings(tmp_path))
    with_s3a = spark_config(_s3_settings(tmp_path))

    assert local[FILE_SYSTEM_KEY] == FILE_SYSTEM
    assert local[DRIVER_CLASS_PATH] == str(JAR)
    assert with_s3a[FILE_SYSTEM_KEY] == FILE_SYSTEM
    assert with_s3a[DRIVER_CLASS_PATH] == f"{JAR}:{jars}/*"


@pytest.mark.parametrize("master", ["spark://127.0.0.1:7077", "local-cluster[2,1,1024]"])
def test_masters_with_executors_of_their_own_keep_hadoops_own(tmp_path, master):
    cluster = spark_config(make_settings(tmp_path, spark_master=master))

    assert FILE_SYSTEM_KEY not in cluster
    assert str(JAR) not in cluster.get(DRIVER_CLASS_PATH, "")


def test_the_session_uses_it_for_local_paths(spark, tmp_path):
    jvm = spark.sparkContext._jvm  # py4j's view of the JVM: Hadoop has no Python API
    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    local = jvm.org.apache.hadoop.fs.FileSystem.getLocal(hadoop)

    assert local.getClass().getName() == FILE_SYSTEM
    assert local.getRawFileSystem().getClass().getSimpleName() == "NakedLocalFileSystem"


def test_a_table_under_a_linked_data_folder_is_written_and_read(spark, tmp_path):
    """A data folder linked to another disk: the link is above the folders Spark lists."""
    (tmp_path / "disk").mkdir()
    (tmp_path / "data").symlink_to(tmp_path / "disk")
    days = ["2024-03-01", "2024-03-02"]
    table = PartitionedTable(spark, (tmp_path / "data" / "t").as_uri(), "day")

    table.write(rows_for(spark, days), days)

    assert table.read(days).count() == 6
    assert len(list((tmp_path / "disk" / "t").glob("day=*/write=*/part-*.csv"))) == 2


def test_a_year_long_local_write_starts_no_chmod_per_file(spark, tmp_path):
    """Hadoop's own local file system starts a ``chmod`` per file and folder it creates: the JVM's
    waited-for children then account for their CPU time (323 clock ticks for this write). A
    process or two would not show (a ``chmod`` takes a fraction of a tick): this catches the
    hundreds, which is what costs."""
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(365)]
    table = PartitionedTable(
        spark, (tmp_path / "t").as_uri(), "day", options=TableOptions(keep_replaced=dt.timedelta(0))
    )
    jvm = _spark_jvm()
    before = _children_cpu_ticks(jvm)

    result = table.write(rows_for(spark, days, per_day=2), days)

    assert result.total_rows == 730
    assert list((tmp_path / "t").rglob("*.csv.crc")), "checksums are still written"
    ticks = _children_cpu_ticks(jvm) - before
    assert ticks == 0, f"the JVM's child processes used {ticks} clock ticks of CPU"


def _spark_jvm() -> int:
    """The pid of this process's child ``java`` (the driver JVM pyspark started)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        if fields.get("Name", "").strip() == "java" and int(fields["PPid"]) == os.getpid():
            return int(status.parent.name)
    raise AssertionError("no Spark JVM among this process's children")


def _children_cpu_ticks(pid: int) -> int:
    """User + system clock ticks of ``pid``'s children it waited for (proc(5): cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])
