"""Which Spark properties the settings produce (pure: no Spark started)."""

from __future__ import annotations

from adventureworks_orchestration.resources.local_file_system import JAR as LOCAL_FILE_SYSTEM_JAR
from adventureworks_orchestration.resources.spark_config import s3a_credentials_config, spark_config
from adventureworks_orchestration.resources.spark_jars import HADOOP_AWS_PACKAGE
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
    assert config["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert "NativeS3FileSystem" not in str(config)


def test_only_local_reads_list_their_files_on_the_driver(tmp_path):
    """A local read names a file per day; a listing job for them costs more than the stat calls
    (README *Benchmarks*). On S3 each path is a request: Spark's default spreads them."""
    threshold = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    assert int(spark_config(make_settings(tmp_path))[threshold]) >= 100_000
    assert threshold not in spark_config(_s3_settings(tmp_path))


def test_first_start_resolves_packages_into_the_persistent_cache(tmp_path):
    config = spark_config(_s3_settings(tmp_path))
    assert config["spark.jars.packages"] == HADOOP_AWS_PACKAGE
    assert config["spark.jars.ivy"] == str(tmp_path / "ivy")


def _cache_with_jars(tmp_path):
    jars = tmp_path / "ivy" / "jars"
    jars.mkdir(parents=True)
    for name in ("org.apache.hadoop_hadoop-aws-3.5.0.jar", "software.amazon.awssdk_bundle-2.jar"):
        (jars / name).touch()
    return jars


def test_later_local_starts_use_the_cached_jars_without_copying_them(tmp_path):
    jars = _cache_with_jars(tmp_path)

    local = spark_config(_s3_settings(tmp_path))

    assert local["spark.driver.extraClassPath"] == f"{LOCAL_FILE_SYSTEM_JAR}:{jars}/*"
    assert not any(key.startswith("spark.jars") for key in local)
    assert "spark.executor.extraClassPath" not in local


def test_cluster_executors_load_the_jars_from_the_workers_folder(tmp_path):
    jars = _cache_with_jars(tmp_path)
    cluster = _s3_settings(
        tmp_path, spark_master="spark://master:7077", spark_executor_jars_dir="/opt/spark-jars/jars"
    )

    config = spark_config(cluster)

    assert config["spark.driver.extraClassPath"] == f"{jars}/*"
    assert config["spark.executor.extraClassPath"] == "/opt/spark-jars/jars/*"
    assert not any(key.startswith("spark.jars") for key in config), "nothing resolved or shipped"


def test_cluster_without_jars_on_the_workers_gets_the_cached_files_shipped(tmp_path):
    jars = _cache_with_jars(tmp_path)

    config = spark_config(_s3_settings(tmp_path, spark_master="spark://master:7077"))

    assert config["spark.jars"].split(",") == [str(path) for path in sorted(jars.glob("*.jar"))]
    assert "spark.jars.packages" not in config, "no download"


def test_a_run_takes_only_its_share_of_a_cluster(tmp_path):
    cluster = make_settings(
        tmp_path, spark_master="spark://master:7077", spark_cores_max=3, spark_executor_memory="3g"
    )
    config = spark_config(cluster)
    assert config["spark.cores.max"] == "3"
    assert config["spark.executor.memory"] == "3g"
    assert "spark.cores.max" not in spark_config(make_settings(tmp_path)), "local[N] sets its own"


def test_driver_java_options_keep_a_data_folder_with_spaces_and_quotes_in_one_argument(tmp_path):
    import shlex

    from adventureworks_orchestration.resources.spark_logging import (
        DRIVER_JAVA_OPTIONS,
        spark_logging_config,
    )

    data_dir = tmp_path / 'My "Projects" dir'
    options = shlex.split(spark_logging_config(data_dir)[DRIVER_JAVA_OPTIONS])
    assert len(options) == 2
    assert options[1] == f"-Dawo.spark.log.dir={data_dir.absolute() / 'logs'}"


def test_the_s3_keys_are_not_in_the_resource_config_dagster_shows(tmp_path):
    """Dagster shows ``spark_config`` as the resource's configured value: no key in it."""
    config = spark_config(_s3_settings(tmp_path))
    assert not {"spark.hadoop.fs.s3a.access.key", "spark.hadoop.fs.s3a.secret.key"} & set(config)
    assert "k" not in config.values() and "s" not in config.values()


def test_spark_redacts_the_s3a_keys_with_the_regex_it_is_given(tmp_path):
    """Spark shows properties whose names match ``spark.redaction.regex`` as redacted in its UI
    and event logs; the regex set here (Spark's default) matches both S3A keys."""
    import re

    config = spark_config(_s3_settings(tmp_path))
    regex = re.compile(config["spark.redaction.regex"])
    for key in s3a_credentials_config("k", "s"):
        assert regex.search(key), key
    assert not regex.search("spark.hadoop.fs.s3a.endpoint")
