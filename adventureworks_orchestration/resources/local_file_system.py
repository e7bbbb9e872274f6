"""Spark's ``file:`` file system for local-mode sessions: Hadoop's checksummed local file system
with permissions set through Java, not by a ``chmod`` process per file and folder.

Without Hadoop's native library (pyspark ships none) Hadoop's local file system sets the
permissions of every file and folder it creates by starting ``chmod``: a write of 365 days of a
small table started ~1,100 processes (strace: the day's file, its ``.crc`` checksum and its
folders), and those dominated the write (5.4 s; 1.6 s with this file system: the same rows
written 3 times in a session of each, medians). GlobalMentor's ``BareLocalFileSystem`` (vendored
in ``jars/``, see its README) is that same ``LocalFileSystem`` (checksums included, so S3A, which
casts ``FileSystem.getLocal`` to it for its buffer files, works in the same session) over a raw
file system that sets permissions and reads file status through ``java.nio``. Only what goes
through Hadoop's ``FileSystem`` changes: Delta's log commits go through ``FileContext``, which
keeps Hadoop's own.

Its limits (upstream's readme, and a review of its code): a folder that is ITSELF a symbolic link
lists as itself, not its contents (a link further up, such as a data folder linked to another
disk, is fine: ``tests/test_local_file_system.py``), so do not link a table's folder; ``chmod`` of a
new folder sets the nine rwx bits only (a setgid bit is not kept).

Local masters only (``local``, ``local[N]``, ``local[*]``): there the executors run in the driver
JVM, which gets the jar on its class path. A cluster's executors (and ``local-cluster``'s) would
need it on theirs; they keep Hadoop's own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

JAR = Path(__file__).with_name("jars") / "hadoop-bare-naked-local-fs-0.1.0.jar"
JAR_SHA256 = "e0cc30fb0531eb0b59468dc0abf5b257533d2365b5e9f45e795edd707aa78c62"
FILE_SYSTEM = "com.globalmentor.apache.hadoop.fs.BareLocalFileSystem"
FILE_SYSTEM_KEY = "spark.hadoop.fs.file.impl"
DRIVER_CLASS_PATH = "spark.driver.extraClassPath"
_LOCAL_MASTER = re.compile(r"local(\[[^\]]*\])?")


def runs_in_the_driver_jvm(master: str) -> bool:
    """Whether ``master`` runs its executors inside the driver's JVM."""
    return _LOCAL_MASTER.fullmatch(master) is not None


def with_local_file_system(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (of a local master) with the file system above and its jar on the class path."""
    class_path = [str(JAR), *filter(None, [config.get(DRIVER_CLASS_PATH)])]
    return {**config, FILE_SYSTEM_KEY: FILE_SYSTEM, DRIVER_CLASS_PATH: ":".join(class_path)}
