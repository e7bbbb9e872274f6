"""What a Spark session needs to read and write Delta tables: the jars and the session extensions.

Only sessions that store some asset as Delta get any of it (``spark_config(settings,
delta=...)``): the extensions add analyzer and planner rules to every query, so CSV-only runs
leave them out.

The jars come like the S3A ones (``spark.s3a_jars_config``): from Maven Central once, through
Spark's own package resolution into the persistent ivy cache (``AWO_SPARK_JARS_CACHE``); later
local starts put the cached jars straight on the driver's class path.

Two facts decide the coordinates and the exclusions:

- ``delta-spark`` 4.4.1 is on PyPI, but Maven Central has no 4.4.1 jar for Spark 4.2 (the POM of
  ``io.delta:delta-spark_4.2_2.13:4.4.1`` answers 404; 4.4.0 is the newest). The Python packages
  4.4.0 and 4.4.1 differ only in their version string, so the 4.4.0 jar is what the pinned Python
  API was released against.
- Delta's POM pulls libraries Spark already ships in older versions (Jackson 2.13, Hadoop client
  3.4.2, Parquet 1.16, Log4j, SLF4J...). On the driver's class path they would come BEFORE Spark's
  own jars and shadow them, so the resolution excludes every artifact that ``pyspark/jars``
  already holds (``SPARK_BUNDLED``; the classes of commons-logging and of RoaringBitmap's
  ``shims`` are inside Spark's jcl-over-slf4j and RoaringBitmap 1.x);
  Spark's versions are the ones Delta runs with anyway, as Spark's class loader asks its own
  jars first for jars added as packages.
"""

from __future__ import annotations

from typing import Any

from ..settings import Settings
from .s3a_jars import link_duplicate_jars

DELTA_VERSION = "4.4.0"
DELTA_PACKAGE = f"io.delta:delta-spark_4.2_2.13:{DELTA_VERSION}"
DELTA_JAR = f"io.delta_delta-spark_4.2_2.13-{DELTA_VERSION}.jar"
DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"

SPARK_BUNDLED = (
    "com.fasterxml.jackson.core:jackson-annotations",
    "com.fasterxml.jackson.core:jackson-core",
    "com.fasterxml.jackson.core:jackson-databind",
    "com.github.luben:zstd-jni",
    "com.google.code.findbugs:jsr305",
    "commons-logging:commons-logging",
    "commons-pool:commons-pool",
    "io.airlift:aircompressor",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.hadoop:hadoop-client-runtime",
    "org.apache.logging.log4j:log4j-api",
    "org.apache.logging.log4j:log4j-core",
    "org.apache.logging.log4j:log4j-slf4j2-impl",
    "org.apache.parquet:parquet-column",
    "org.apache.parquet:parquet-common",
    "org.apache.parquet:parquet-encoding",
    "org.apache.parquet:parquet-format-structures",
    "org.apache.parquet:parquet-hadoop",
    "org.apache.parquet:parquet-jackson",
    "org.locationtech.jts:jts-core",
    "org.roaringbitmap:RoaringBitmap",
    "org.roaringbitmap:shims",
    "org.scala-lang:scala-library",
    "org.slf4j:slf4j-api",
    "org.xerial.snappy:snappy-java",
)


def delta_session_config(settings: Settings) -> dict[str, str]:
    """Session properties every Delta session gets, whatever the jars' origin.

    ``snapshotPartitions``: Delta rebuilds a table's state with 50 tasks by default, sized for
    big tables; ours have a few files per day. The replaceWhere check is Delta's default, set
    here because the storage relies on it to refuse rows outside the days written.
    ``parallelPartitionDiscovery.parallelism``: VACUUM lists the table with that many tasks
    (Spark's default 10,000: over a minute for a table of a few files on 2 cores, about 8 s
    with the shuffle partitions' count).
    """
    return {
        "spark.sql.extensions": DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        "spark.databricks.delta.replaceWhere.constraintCheck.enabled": "true",
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": str(
            settings.spark_shuffle_partitions
        ),
    }


def with_delta(config: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``config`` plus Delta: its session properties and its jars, merged with the S3A ones."""
    merged = {**config, **delta_session_config(settings)}
    cached_jars = settings.spark_jars_cache / "jars"
    if settings.spark_master.startswith("local") and (cached_jars / DELTA_JAR).exists():
        link_duplicate_jars(settings.spark_jars_cache)
        merged["spark.driver.extraClassPath"] = _joined(
            config.get("spark.driver.extraClassPath"), str(cached_jars / "*"), ":"
        )
        return merged
    merged["spark.jars.packages"] = _joined(config.get("spark.jars.packages"), DELTA_PACKAGE, ",")
    merged["spark.jars.ivy"] = str(settings.spark_jars_cache)
    merged["spark.jars.excludes"] = ",".join(SPARK_BUNDLED)
    return merged


def session_has_delta(spark: Any) -> bool:
    """Whether a running session was started with the Delta extensions."""
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    return DELTA_EXTENSION in extensions.split(",")


def _joined(existing: str | None, entry: str, separator: str) -> str:
    entries = [e for e in (existing or "").split(separator) if e]
    return separator.join(entries if entry in entries else [*entries, entry])
