"""One copy of the S3A jars on disk, however Spark's resolver left them.

Spark resolves ``spark.jars.packages`` with Ivy, which keeps every jar twice under
``spark.jars.ivy``: the download in ``cache/<org>/<module>/jars/`` and a copy in ``jars/`` that
the session uses. For hadoop-aws and the AWS SDK v2 bundle that is 2 x 690 MB. Replacing each
``jars/`` copy by a hard link to its ``cache/`` original keeps both paths valid (Ivy finds its
cache, the driver's class path finds ``jars/``) and halves the space. The swap is atomic (a link
under a temporary name, then a rename), so a JVM that has the old file open keeps reading it.
"""

from __future__ import annotations

import os
from pathlib import Path


def link_duplicate_jars(ivy_dir: Path) -> int:
    """Hard-link each ``jars/<org>_<artifact>-<rev>.jar`` to its Ivy cache original; returns
    the bytes freed. Files already linked, or without an identical original, are left alone."""
    freed = 0
    cache = ivy_dir / "cache"
    for copy in sorted((ivy_dir / "jars").glob("*.jar")):
        original = _original(cache, copy)
        if original is None:
            continue
        copy_stat, original_stat = copy.stat(), original.stat()
        if copy_stat.st_ino == original_stat.st_ino or copy_stat.st_size != original_stat.st_size:
            continue
        if not _same_bytes(copy, original):
            continue
        temporary = copy.with_name(copy.name + ".link")
        try:
            os.link(original, temporary)
            os.replace(temporary, copy)
        except OSError:  # another file system, or no hard links: keep the copy
            temporary.unlink(missing_ok=True)
            continue
        freed += copy_stat.st_size
    return freed


def _original(cache: Path, copy: Path) -> Path | None:
    """``org.apache.hadoop_hadoop-aws-3.5.0.jar`` ->
    ``cache/org.apache.hadoop/hadoop-aws/jars/hadoop-aws-3.5.0.jar`` (Spark retrieves jars as
    ``[organization]_[artifact]-[revision]``)."""
    organization, _, rest = copy.name.partition("_")
    if not rest:
        return None
    for candidate in (cache / organization).glob(f"*/jars/{rest}"):
        return candidate
    return None


def _same_bytes(a: Path, b: Path, chunk: int = 1 << 20) -> bool:
    with open(a, "rb") as left, open(b, "rb") as right:
        while True:
            block = left.read(chunk)
            if block != right.read(chunk):
                return False
            if not block:
                return True
