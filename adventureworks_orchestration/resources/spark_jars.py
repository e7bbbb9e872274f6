"""The S3A connector jars (``hadoop-aws`` and the AWS SDK bundle it pulls, ~690 MB): fetched
once into a cache folder, then given to every Spark process from there.

``python -m adventureworks_orchestration.resources.spark_jars`` resolves them from Maven Central
into ``AWO_SPARK_JARS_CACHE``. The Docker image runs this file as a plain script at build time
(``--cache``; it imports nothing of the project then, so code changes do not refetch the jars).
A run finds nothing cached only on a machine where this never ran, and then resolves them into
the same folder. Once cached, no run downloads them:

* the driver puts the cached jars on its class path (PySpark would otherwise copy every resolved
  package into each session's temp folder: start 4 s instead of 11 s);
* on a cluster, executors load them from ``AWO_SPARK_EXECUTOR_JARS_DIR`` when the workers hold
  them there (the compose Spark image does), else the driver serves its cached files to the
  executors of each run (``spark.jars``): no download, one local copy per run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..settings import Settings

# pyspark 4.2 bundles Hadoop 3.5.0; hadoop-aws must match it exactly (it pulls the AWS SDK v2).
HADOOP_AWS_VERSION = "3.5.0"
HADOOP_AWS_PACKAGE = f"org.apache.hadoop:hadoop-aws:{HADOOP_AWS_VERSION}"


def cached_jars(cache: Path, package: str = HADOOP_AWS_PACKAGE) -> list[Path]:
    """The jars Spark's resolver left in ``cache/jars``, or [] while ``package`` is not there."""
    group, artifact, version = package.split(":")
    jars_dir = cache / "jars"
    if not (jars_dir / f"{group}_{artifact}-{version}.jar").is_file():
        return []
    return sorted(jars_dir.glob("*.jar"))


def s3a_jars_config(settings: Settings) -> dict[str, str]:
    """Spark properties that give the driver and the executors the S3A jars (see the module)."""
    cache = settings.spark_jars_cache
    jars = cached_jars(cache)
    if not jars:
        return {"spark.jars.packages": HADOOP_AWS_PACKAGE, "spark.jars.ivy": str(cache)}
    from .s3a_jars import link_duplicate_jars  # here: the image runs this file as a script

    link_duplicate_jars(cache)  # one copy on disk, not Ivy's two
    config = {"spark.driver.extraClassPath": str(cache / "jars" / "*")}
    if settings.spark_master.startswith("local"):
        return config
    if settings.spark_executor_jars_dir:
        config["spark.executor.extraClassPath"] = f"{settings.spark_executor_jars_dir}/*"
    else:
        config["spark.jars"] = ",".join(str(jar) for jar in jars)
    return config


@contextlib.contextmanager
def jar_resolution_lock(spark_config: Mapping[str, Any]) -> Iterator[None]:
    """Hold ``<ivy dir>/.resolve.lock`` while a session that resolves packages starts.

    Spark's Ivy resolution takes no lock: two processes that start at once on an empty cache (two
    runs the sensor launched, two test workers) copy into the same ``jars/`` folder, and one may
    put the other's half-written jar on its class path. A session whose jars are all cached
    resolves nothing and takes no lock.
    """
    if not spark_config.get("spark.jars.packages"):
        yield
        return
    ivy = Path(str(spark_config.get("spark.jars.ivy") or Path.home() / ".ivy2"))
    ivy.mkdir(parents=True, exist_ok=True)
    with open(ivy / ".resolve.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def fetch_jars(cache: Path, package: str = HADOOP_AWS_PACKAGE) -> list[Path]:
    """Resolve ``package`` and its dependencies into ``cache/jars`` with Spark's own resolver.

    Starts (and stops) a local Spark session, so call it in a process of its own: a Python
    process has at most one Spark driver.
    """
    if cached := cached_jars(cache, package):
        return cached
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    config = {"spark.jars.packages": package, "spark.jars.ivy": str(cache)}
    with jar_resolution_lock(config):
        session = (
            SparkSession.builder.master("local[1]")
            .appName("fetch-s3a-jars")
            .config("spark.ui.enabled", "false")
            .config("spark.jars.packages", package)
            .config("spark.jars.ivy", str(cache))
            .getOrCreate()
        )
        session.stop()
    jars = cached_jars(cache, package)
    if not jars:
        raise RuntimeError(f"Spark resolved {package} but {cache / 'jars'} does not hold it")
    return jars


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the S3A jars into the jars cache.")
    parser.add_argument("--cache", help="cache folder (default: the AWO_SPARK_JARS_CACHE setting)")
    parser.add_argument(
        "--package",
        default=HADOOP_AWS_PACKAGE,
        help=f"Maven coordinates (default {HADOOP_AWS_PACKAGE})",
    )
    args = parser.parse_args(argv)
    if args.cache:
        cache = Path(args.cache)
    else:
        from adventureworks_orchestration.settings import get_settings

        cache = get_settings().spark_jars_cache
    jars = fetch_jars(cache.expanduser().absolute(), args.package)
    size = sum(jar.stat().st_size for jar in jars) / 1e6
    sys.stdout.write(f"{len(jars)} jars ({size:.0f} MB) in {cache / 'jars'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
