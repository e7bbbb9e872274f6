"""Which Spark properties the settings produce (pure: no Spark started)."""

from __future__ import annotations

from adventureworks_orchestration.resources.spark import HADOOP_AWS_PACKAGE, spark_config
from adventureworks_orchestration.settings import S3Settings

from .conftest import make_settings


def _s3_settings(tmp_path, **overrides):
    store = S3Settings(endpoint="http://127.0.0.1:9000", access_key_id="k", secret_access_key="s")
    return make_settings(
        tmp_path, storage="s3", s3=store, spark_jars_cache=tmp_path / "ivy", **overrides
    )


def test_local_storage_needs_no_s3_jars(tmp_path):
    config = spark_config(make_settings(tmp_path))
    assert not any(key.startswith(("spark.jars", "spark.hadoop.fs.s3a")) for key in config)
    assert config["spark.driver.bindAddress"] == "127.0.0.1"


def test_s3a_uses_spark_hadoop_keys_from_the_lessons_variables(tmp_path):
    config = spark_config(_s3_settings(tmp_path))
    assert config["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert config["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert config["spark.hadoop.fs.s3a.access.key"] == "k"
    assert config["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert "NativeS3FileSystem" not in str(config)


def test_first_start_resolves_packages_into_the_persistent_cache(tmp_path):
    config = spark_config(_s3_settings(tmp_path))
    assert config["spark.jars.packages"] == HADOOP_AWS_PACKAGE
    assert config["spark.jars.ivy"] == str(tmp_path / "ivy")


def test_later_local_starts_use_the_cached_jars_without_copying_them(tmp_path):
    jars = tmp_path / "ivy" / "jars"
    jars.mkdir(parents=True)
    (jars / "org.apache.hadoop_hadoop-aws-3.5.0.jar").touch()

    local = spark_config(_s3_settings(tmp_path))
    cluster = spark_config(_s3_settings(tmp_path, spark_master="spark://master:7077"))

    assert local["spark.driver.extraClassPath"] == f"{jars}/*"
    assert "spark.jars.packages" not in local
    assert cluster["spark.jars.packages"] == HADOOP_AWS_PACKAGE, "executors need them shipped"
