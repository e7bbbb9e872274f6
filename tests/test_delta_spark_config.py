"""Which Spark properties Delta adds, and only when some asset is Delta (pure, no Spark), and the
jars the cache really holds: none may shadow a library Spark ships."""

from __future__ import annotations

import re
from pathlib import Path

import pyspark

from adventureworks_orchestration.resources.delta_spark import (
    DELTA_EXTENSION,
    DELTA_JAR,
    DELTA_PACKAGE,
    SPARK_BUNDLED,
)
from adventureworks_orchestration.resources.local_file_system import JAR as LOCAL_FILE_SYSTEM_JAR
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.resources.spark_jars import HADOOP_AWS_PACKAGE
from adventureworks_orchestration.settings import S3Settings

from .conftest import make_settings

SPARK_JARS = Path(pyspark.__file__).parent / "jars"


def _settings(tmp_path, **overrides):
    return make_settings(tmp_path, spark_jars_cache=tmp_path / "ivy", **overrides)


def _s3(tmp_path, **overrides):
    store = S3Settings(endpoint="http://127.0.0.1:9000", access_key_id="k", secret_access_key="s")
    return _settings(tmp_path, storage="s3", s3=store, **overrides)


def test_csv_sessions_get_nothing_of_delta(tmp_path):
    for config in (spark_config(_settings(tmp_path)), spark_config(_s3(tmp_path))):
        assert "spark.sql.extensions" not in config
        assert not any("delta" in key or "io.delta" in str(value) for key, value in config.items())


def test_delta_sessions_get_the_extensions_and_resolve_the_jar_once_into_the_cache(tmp_path):
    by_setting = spark_config(_settings(tmp_path, table_format="delta"))
    by_argument = spark_config(_settings(tmp_path), delta=True)

    assert by_setting == by_argument
    assert by_setting["spark.sql.extensions"] == DELTA_EXTENSION
    assert by_setting["spark.jars.packages"] == DELTA_PACKAGE
    assert by_setting["spark.jars.ivy"] == str(tmp_path / "ivy")
    assert set(by_setting["spark.jars.excludes"].split(",")) == set(SPARK_BUNDLED)
    assert (
        spark_config(_settings(tmp_path, table_format="delta"), delta=False).get(
            "spark.sql.extensions"
        )
        is None
    ), "delta=False wins over the setting"


def test_s3_and_delta_share_the_packages_the_cache_and_the_class_path(tmp_path):
    first = spark_config(_s3(tmp_path), delta=True)
    assert first["spark.jars.packages"] == f"{HADOOP_AWS_PACKAGE},{DELTA_PACKAGE}"

    jars = tmp_path / "ivy" / "jars"
    jars.mkdir(parents=True)
    (jars / "org.apache.hadoop_hadoop-aws-3.5.0.jar").touch()
    (jars / DELTA_JAR).touch()
    local = spark_config(_s3(tmp_path), delta=True)
    cluster = spark_config(_s3(tmp_path, spark_master="spark://master:7077"), delta=True)

    assert local["spark.driver.extraClassPath"] == f"{LOCAL_FILE_SYSTEM_JAR}:{jars}/*", (
        "one entry for both (after the local file system's jar)"
    )
    assert "spark.jars.packages" not in local
    # a cluster: the driver ships its cached S3A jars (resources/spark_jars.py), Delta resolves
    assert "hadoop-aws-3.5.0.jar" in cluster["spark.jars"]
    assert cluster["spark.jars.packages"] == DELTA_PACKAGE


def test_every_excluded_artifact_is_one_spark_ships():
    shipped = {_artifact(jar.name) for jar in SPARK_JARS.glob("*.jar")}
    # their classes are inside Spark's jcl-over-slf4j and RoaringBitmap 1.x
    inside_others = {"commons-logging", "shims"}
    missing = [a for a in SPARK_BUNDLED if a.split(":")[1] not in shipped | inside_others]
    assert missing == []


def test_the_jar_cache_holds_nothing_that_would_shadow_spark(spark):
    """The session fixture resolved Delta (and S3A) into the real cache: whatever is there goes on
    the class path before Spark's own jars, so none of it may be a library Spark ships."""
    cache = Path(spark.conf.get("spark.jars.ivy", "") or _cache_of_classpath(spark))
    names = [jar.name for jar in (cache / "jars").glob("*.jar")]
    assert DELTA_JAR in names
    artifacts = {_artifact(name.partition("_")[2]) for name in names}
    shipped = {_artifact(jar.name) for jar in SPARK_JARS.glob("*.jar")}
    assert artifacts & shipped == set()


def _cache_of_classpath(spark) -> str:
    classpath = spark.sparkContext.getConf().get("spark.driver.extraClassPath", "")
    entry = next(e for e in classpath.split(":") if e.endswith("/jars/*"))
    return str(Path(entry).parent.parent)


def _artifact(jar_name: str) -> str:
    """``zstd-jni-1.5.7-7.jar`` -> ``zstd-jni``: the name up to the first ``-<digit>``."""
    return re.sub(r"-\d[\w.-]*\.jar$", "", jar_name)
