"""The test deployment: docker-compose.yml's stack without Docker, every piece real and on
127.0.0.1, started once for the tests in this folder and stopped by PID at the end.

* PostgreSQL from the machine's packages (Dagster's run, event and schedule storage);
* SeaweedFS (the session's S3 server, with buckets of the deployment's own);
* a Spark standalone master and worker started from pyspark's own ``spark-class``;
* the code location, webserver and daemon of docker-compose.yml, with ``deploy/dagster.yaml``
  and ``deploy/workspace.yaml`` (see ``services.py``), after the image's build step that fetches
  the S3A jars and compose's one-shot ``create-buckets``.

The landing sensor is switched off (from the UI's API) before the daemon starts, so landing files
written by one test do not start runs in another; the sensor test switches it on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adventureworks_orchestration.devtools.postgres_server import PostgresServer, start_postgres
from adventureworks_orchestration.devtools.processes import free_port
from adventureworks_orchestration.devtools.s3_server import S3Server
from adventureworks_orchestration.devtools.spark_cluster import SparkCluster, start_spark_cluster
from adventureworks_orchestration.resources import spark_jars
from adventureworks_orchestration.settings import Settings, settings_from_env

from ..conftest import ACCESS_KEY, SECRET_KEY, SHORT_LIVED_JVM, TEST_START
from .graphql import set_sensor_running
from .processes import kill_leftovers
from .services import HARNESS_ID_VARIABLE, Deployment

WORKER_CORES = 2
CORES_PER_RUN = 1


@pytest.fixture(scope="package")
def harness_id(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Marks every process of this deployment; at the end none may be left running."""
    _refuse_a_second_stack(tmp_path_factory)
    marker = uuid.uuid4().hex
    yield marker
    left = kill_leftovers(marker)
    assert not left, f"processes outlived the deployment (killed now): {left}"


@pytest.fixture(scope="package")
def marker_env(harness_id: str) -> dict[str, str]:
    return {HARNESS_ID_VARIABLE: harness_id}


@pytest.fixture(scope="package")
def postgres(marker_env: dict[str, str]) -> Iterator[PostgresServer]:
    server = start_postgres(extra_env=marker_env)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def spark_cluster(
    tmp_path_factory: pytest.TempPathFactory, marker_env: dict[str, str]
) -> Iterator[SparkCluster]:
    cluster = start_spark_cluster(
        tmp_path_factory.mktemp("spark-cluster"),
        WORKER_CORES,
        "2g",
        extra_env={**marker_env, **SHORT_LIVED_JVM},  # the executors inherit it
    )
    yield cluster
    cluster.stop()


@pytest.fixture(scope="package")
def jars_cache() -> Path:
    """The image build's step, run here: the S3A jars fetched into the cache once."""
    cache = Settings().spark_jars_cache
    script = Path(spark_jars.__file__)
    fetched = subprocess.run(
        [sys.executable, str(script), "--cache", str(cache)], capture_output=True, text=True
    )
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    return cache


@pytest.fixture(scope="package")
def deployment(
    tmp_path_factory: pytest.TempPathFactory,
    harness_id: str,
    postgres: PostgresServer,
    s3_server: S3Server,
    spark_cluster: SparkCluster,
    jars_cache: Path,
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("deployment")
    suffix = harness_id[:10]
    # What a .env file beside docker-compose.yml would say to run the stack on this machine.
    dotenv = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_ENDPOINT": s3_server.endpoint,
        "AWO_DATA_DIR": str(root / "data"),
        "AWO_PARTITIONS_START": TEST_START,
        "AWO_SPARK_MASTER": spark_cluster.master_url,
        "AWO_SPARK_DRIVER_HOST": "127.0.0.1",
        "AWO_SPARK_SHUFFLE_PARTITIONS": "2",
        "AWO_SPARK_DRIVER_MEMORY": "1g",
        "AWO_SPARK_JARS_CACHE": str(jars_cache),
        "AWO_SPARK_EXECUTOR_JARS_DIR": str(jars_cache / "jars"),  # the workers' copy
        "AWO_SPARK_CORES_MAX": str(CORES_PER_RUN),
        "AWO_SPARK_EXECUTOR_MEMORY": "512m",
        "AWO_SENSOR_INTERVAL_SECONDS": "2",
        "AWO_FRESHNESS_INTERVAL_SECONDS": "2",
        "AWO_S3_BUCKET": f"warehouse-{suffix}",
        "AWO_LANDING_BUCKET": f"landing-{suffix}",
        "DAGSTER_POSTGRES_HOST": postgres.host,
        "DAGSTER_POSTGRES_PORT": str(postgres.port),
        "DAGSTER_POSTGRES_USER": postgres.user,
        "DAGSTER_POSTGRES_PASSWORD": postgres.password,
        "DAGSTER_POSTGRES_DB": postgres.database,
        "DAGSTER_CODE_SERVER_HOST": "127.0.0.1",
        "DAGSTER_CODE_SERVER_PORT": str(free_port()),
    }
    stack = Deployment(root, dotenv, harness_id)
    try:
        buckets = stack.run_once("create-buckets")
        assert buckets.returncode == 0, buckets.stderr[-3000:]
        stack.start_all()
        set_sensor_running(stack.graphql, False)
        stack.start_daemon()
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def deployed_settings(deployment: Deployment) -> Settings:
    """The settings the code location runs with (from its environment, as it reads them)."""
    return settings_from_env(deployment.env("code-location"))


def _refuse_a_second_stack(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The stack is started once per test session: a second start (its tests spread over
    pytest-xdist's workers, or another test run between two of them) fails here, saying so."""
    base = tmp_path_factory.getbasetemp()
    session = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # shared by workers
    first = session / "deployment-started"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "the only process")
    try:
        with first.open("x") as record:
            record.write(worker)
    except FileExistsError:
        pytest.fail(
            f"the deployment stack is being started a second time in this test session (first "
            f"by {first.read_text() or 'another worker'}, now by {worker}): its tests must run "
            "on one worker, one after the other (tests/scheduling.py)",
            pytrace=False,
        )
