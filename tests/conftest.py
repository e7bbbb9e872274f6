"""Shared fixtures: one real Spark session for the whole test session, temp data folders,
real Dagster instances, and sample landing data made by the project's own generator."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest
from pyspark.sql import SparkSession

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter, S3LandingSink
from adventureworks_orchestration.devtools.s3_server import S3Server, start_s3_server
from adventureworks_orchestration.landing.paths import LANDING_TABLES, landing_file_path
from adventureworks_orchestration.resources.java import JavaNotFoundError, require_java
from adventureworks_orchestration.resources.spark_config import s3a_credentials_config, spark_config
from adventureworks_orchestration.resources.spark_jars import jar_resolution_lock
from adventureworks_orchestration.settings import S3Settings, Settings
from adventureworks_orchestration.storage.s3 import ensure_buckets, s3_client

from .class_archive_trainer import ARCHIVE_DIR_VARIABLE, ClassArchives
from .storage import LocalView, S3View, StorageView

TEST_START = "2024-03-01"
ACCESS_KEY = "awo-test-access-key"
SECRET_KEY = "awo-test-secret-key"
TEST_BOOKINGS_PER_DAY = 200
# The JVMs the tests start in child processes (and the deployment's) live seconds to minutes on
# tiny data, on 2 shared cores: the quick JIT tier and one GC thread cost far less CPU than the
# server defaults tuned for long-running processes (one cold `awo demo` of 2 days: 32 vs 51 CPU
# seconds). Set here, before any JVM starts, so that children inherit it (an exported value
# wins, except in the deployment, whose processes get this one); not for the session's own JVM
# (see _long_lived_jvm).
# Their temp folder too: a child the tests kill on purpose (kill -9, out of memory) runs no
# shutdown hooks, and Spark's scratch (blockmgr-*, spark-*) would stay in the system's temp folder
# for good; here it goes with the test session (made by the first process, the xdist controller,
# whose environment the workers inherit; removed in its pytest_unconfigure).
JVM_TEMP_VARIABLE = "AWO_TESTS_JVM_TMPDIR"
_MADE_JVM_TEMP = "JAVA_TOOL_OPTIONS" not in os.environ and JVM_TEMP_VARIABLE not in os.environ
if _MADE_JVM_TEMP:
    os.environ[JVM_TEMP_VARIABLE] = tempfile.mkdtemp(prefix="awo-tests-jvm-")
    if any(c.isspace() for c in os.environ[JVM_TEMP_VARIABLE]):  # one word in JAVA_TOOL_OPTIONS
        os.rmdir(os.environ.pop(JVM_TEMP_VARIABLE))
        _MADE_JVM_TEMP = False
_JVM_TEMP = (
    f" -Djava.io.tmpdir={os.environ[JVM_TEMP_VARIABLE]}" if JVM_TEMP_VARIABLE in os.environ else ""
)
SHORT_LIVED_JVM = {"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" + _JVM_TEMP}
for _name, _value in SHORT_LIVED_JVM.items():
    os.environ.setdefault(_name, _value)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: unknown with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """The deployment tests on one worker, every other test on its own (``tests/scheduling.py``);
    an explicit ``--dist`` other than ``load`` (what ``-n`` implies) is xdist's as usual."""
    if config.getvalue("dist") != "load":
        return None
    from .scheduling import DeploymentOnOneWorker

    return DeploymentOnOneWorker(config, log)


def pytest_configure(config: pytest.Config) -> None:
    try:
        require_java()
    except JavaNotFoundError as exc:
        pytest.exit(f"cannot run the tests: {exc}", returncode=2)
    controller = not hasattr(config, "workerinput")  # before it starts the xdist workers
    if controller and not config.option.collectonly:
        config.stash[_CLASS_ARCHIVES] = ClassArchives()  # the workers inherit its folder


def pytest_unconfigure(config: pytest.Config) -> None:
    if archives := config.stash.get(_CLASS_ARCHIVES, None):
        archives.close()
    if _MADE_JVM_TEMP:
        shutil.rmtree(os.environ.pop(JVM_TEMP_VARIABLE), ignore_errors=True)


_CLASS_ARCHIVES = pytest.StashKey["ClassArchives"]()


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: everything under ``data_dir``, a small local Spark."""
    base = Settings(
        data_dir=data_dir,
        partitions_start=TEST_START,
        spark_shuffle_partitions=2,
        storage_keep_replaced_minutes=0,  # replaced files go at once: tests see exact folders
    )
    return base.with_overrides(**overrides) if overrides else base


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """SeaweedFS on 127.0.0.1 for the whole session, stopped by its PID at the end."""
    server = start_s3_server(tmp_path_factory.mktemp("seaweedfs"), ACCESS_KEY, SECRET_KEY)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_store(s3_server: S3Server) -> S3Settings:
    """The test server's store. Its keys are also put in this process's environment: resources
    read them from there when a run starts (resources/wiring.py), as in a deployment."""
    os.environ["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    return S3Settings(
        endpoint=s3_server.endpoint, access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY
    )


def spark_for_subprocess(s3: list[str] | None = None) -> SparkSession:
    """A Spark session like the test session's, for a child process a test starts (and kills);
    ``s3`` is [endpoint, access key, secret key] when it must reach the test S3 server."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # its Spark log goes there; in the session's temp folder (removed at its end) when it has one:
    # a child the test kills cannot remove it
    data_dir = Path(tempfile.mkdtemp(prefix="awo-child-", dir=os.environ.get(JVM_TEMP_VARIABLE)))
    archives = os.environ.get(ARCHIVE_DIR_VARIABLE)  # the run's class archives (if trained yet)
    settings = make_settings(
        data_dir, spark_class_archive_dir=Path(archives).absolute() if archives else None
    )
    if s3:
        store = S3Settings(endpoint=s3[0], access_key_id=s3[1], secret_access_key=s3[2])
        settings = settings.with_overrides(storage="s3", s3=store)
    builder = SparkSession.builder
    credentials = s3a_credentials_config(settings.s3.access_key_id, settings.s3.secret_access_key)
    config = {**spark_config(settings, delta=True), **credentials}
    for key, value in config.items():
        builder = builder.config(key, value)
    with jar_resolution_lock(config):  # two xdist workers may start on an empty cache
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="session")
def spark(s3_store: S3Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """The one Spark session every test (and every in-process Dagster run) shares.

    It is started with the S3A connector pointed at the test server, so the same session serves
    the local-folder and the S3 variants of every storage test, and with Delta, so it serves both
    table formats (one process has one SparkContext; bench/delta_session.py measures what the
    extensions cost a CSV session).
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # every Spark service on loopback
    builder = SparkSession.builder
    settings = make_settings(tmp_path_factory.mktemp("spark"), storage="s3", s3=s3_store)
    credentials = s3a_credentials_config(settings.s3.access_key_id, settings.s3.secret_access_key)
    config = {**spark_config(settings, delta=True), **credentials}
    for key, value in config.items():
        builder = builder.config(key, value)
    with jar_resolution_lock(config), _long_lived_jvm():  # two workers may start on an empty cache
        session = builder.getOrCreate()
    yield session
    session.stop()


@contextmanager
def _long_lived_jvm() -> Iterator[None]:
    """Without SHORT_LIVED_JVM for the JVM started inside: the session's JVM lives as long as its
    worker and runs every in-process test, where the optimizing JIT pays off (a full run with it
    on the quick tier took tests/test_pipeline.py 320 s instead of 255 s)."""
    ours = [name for name, value in SHORT_LIVED_JVM.items() if os.environ.get(name) == value]
    saved = {name: os.environ.pop(name) for name in ours}
    try:
        yield
    finally:
        os.environ.update(saved)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Local-folder settings (tests that are not about storage), in a folder whose name has a
    space, as laptops' ``~/My Projects`` do: Spark and the stores must agree on such paths."""
    return make_settings(tmp_path / "my data")


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each storage; S3 gets fresh buckets of its own on the test server."""
    if request.param == "local":
        return make_settings(tmp_path / "data")
    store: S3Settings = request.getfixturevalue("s3_store")
    suffix = uuid.uuid4().hex[:10]
    store = replace(
        store, warehouse_bucket=f"warehouse-{suffix}", landing_bucket=f"landing-{suffix}"
    )
    ensure_buckets(store, [store.warehouse_bucket, store.landing_bucket])
    return make_settings(tmp_path / "data", storage="s3", s3=store)


def warehouse_view(settings: Settings) -> StorageView:
    if settings.uses_s3:
        return S3View(s3_client(settings.s3), settings.s3.warehouse_bucket)
    return LocalView(settings.warehouse_dir)


def landing_view(settings: Settings) -> StorageView:
    if settings.uses_s3:
        return S3View(s3_client(settings.s3), settings.s3.landing_bucket)
    return LocalView(settings.landing_dir)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def write_landing(
    settings: Settings,
    days: list[str],
    bookings_per_day: int = TEST_BOOKINGS_PER_DAY,
    tables: Iterable[str] = LANDING_TABLES,
):
    """Sample landing files for ``days`` (of ``tables``) wherever ``settings`` say landing is."""
    config = GeneratorConfig(bookings_per_day=bookings_per_day)
    if settings.uses_s3:
        sink = S3LandingSink(s3_client(settings.s3), settings.s3.landing_bucket)
        return LandingWriter(sink).write(days, config, tables)
    return LandingWriter.local(settings.landing_dir).write(days, config, tables)


def remove_landing(settings: Settings, written: Iterable) -> None:
    """Removes the landing files ``write_landing`` returned (files a test leaves un-ingested
    would start a run of the landing sensor in a later test)."""
    landing = landing_view(settings)
    for landed in written:
        landing.remove(landing_file_path(landed.table, landed.day))
