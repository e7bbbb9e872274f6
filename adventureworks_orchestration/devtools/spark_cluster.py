"""A Spark standalone cluster (one master, one worker) on 127.0.0.1, from pyspark's own jars.

The pyspark wheel ships ``bin/spark-class``, the launcher the apache/spark image runs as well, so
the test deployment and ``bench/backfill.py --spark-cluster`` run the same master and worker
classes (``org.apache.spark.deploy.master.Master`` / ``worker.Worker``) as the compose stack,
without a Spark download. Every Spark service binds to loopback (``SPARK_LOCAL_IP``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .processes import ServerProcess, free_port, start_server, wait_until

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


@dataclass
class SparkCluster:
    master: ServerProcess
    worker: ServerProcess
    master_url: str
    web_url: str
    work_dir: Path

    def state(self) -> dict[str, Any]:
        """The master's own account of workers and applications (its web UI's ``/json``)."""
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as response:
            return json.load(response)

    def stop(self) -> None:
        """The worker first (it ends its executors), then the master."""
        self.worker.stop()
        self.master.stop()


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def spark_env(work_dir: Path) -> dict[str, str]:
    """The environment of a Spark daemon: pyspark as SPARK_HOME, loopback, files in ``work_dir``."""
    return {
        **os.environ,
        "SPARK_LOCAL_DIRS": str(work_dir / "local"),  # executors' scratch and fetched files
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_LOG_DIR": str(work_dir / "logs"),
        "SPARK_NO_DAEMONIZE": "true",
        # The master's REST submission server would take the fixed port 6066; nothing uses it.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
    }


def start_spark_cluster(
    work_dir: Path,
    cores: int = 2,
    memory: str = "2g",
    timeout: float = 120,
    extra_env: Mapping[str, str] | None = None,
) -> SparkCluster:
    """Start a master and one worker with ``cores`` and ``memory``; wait until it registered."""
    work_dir.mkdir(parents=True, exist_ok=True)
    spark_class = str(spark_home() / "bin" / "spark-class")
    env = {**spark_env(work_dir), **(extra_env or {})}
    port, web_port = free_port(), free_port()
    master = start_server(
        "spark-master",
        [spark_class, MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port)]
        + ["--webui-port", str(web_port)],
        work_dir / "master.log",
        env=env,
    )
    cluster = SparkCluster(
        master, master, f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}", work_dir
    )
    try:
        wait_until(lambda: _answers(cluster), timeout, "Spark master web UI", master)
        cluster.worker = start_server(
            "spark-worker",
            [spark_class, WORKER_CLASS, "--host", "127.0.0.1", "--port", str(free_port())]
            + ["--webui-port", str(free_port()), "--cores", str(cores), "--memory", memory]
            + ["--work-dir", str(work_dir / "worker"), cluster.master_url],
            work_dir / "worker.log",
            env=env,
        )
        wait_until(lambda: _alive_workers(cluster), timeout, "a worker registered", cluster.worker)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _answers(cluster: SparkCluster) -> bool:
    try:
        return cluster.state().get("status") == "ALIVE"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _alive_workers(cluster: SparkCluster) -> list[dict[str, Any]]:
    return [w for w in cluster.state().get("workers", []) if w.get("state") == "ALIVE"]
