"""Class-data-sharing archives for the Spark drivers of the tests' child processes with a local
master: those that read their settings from the environment (``awo`` and ``dg`` commands, the
daemons' runs) and the writers ``spark_for_subprocess`` starts, once the archive of their class
path is trained (that such a driver maps it was checked by hand: SparkContext from the shared
objects file; ``tests/test_class_archive.py`` tests it for a driver of ``spark_config``). What
it saves is measured in ``resources/class_archive.py``.

The controller trains them in a background thread while the tests run, one per driver class path
those children have: a local folder with CSV (the bare local file system's jar), and S3 or Delta
(the S3A and Delta jars of the cache as well). The latter waits until the tests' own session has
cached those jars (the class path names them only then). A child started before its archive
exists runs without one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from pathlib import Path

from adventureworks_orchestration.resources.class_archive import (
    create_class_archive,
    train_in_a_child,
)
from adventureworks_orchestration.resources.spark_config import spark_config
from adventureworks_orchestration.resources.spark_jars import jar_resolution_lock
from adventureworks_orchestration.settings import S3Settings, Settings, settings_from_env

ARCHIVE_DIR_VARIABLE = "AWO_SPARK_CLASS_ARCHIVE_DIR"
WAIT_FOR_JARS_SECONDS = 900


def _variants(data_dir: Path) -> list[dict]:
    """The children's two driver configurations, computed while no process resolves jars into
    the cache (resolution holds its lock), so that no half-copied jar is named or hashed."""
    cache = settings_from_env().spark_jars_cache
    s3 = S3Settings(endpoint="http://127.0.0.1:1", access_key_id="a", secret_access_key="b")
    settings = Settings(data_dir=data_dir, spark_jars_cache=cache)
    with jar_resolution_lock({"spark.jars.packages": "any", "spark.jars.ivy": str(cache)}):
        return [
            spark_config(settings),
            spark_config(settings.with_overrides(storage="s3", s3=s3), delta=True),
        ]


class ClassArchives:
    """The archives' folder (exported to every child) and the thread that fills it: the exported
    folder if there is one (kept), else a temporary one (removed at the end)."""

    def __init__(self) -> None:
        self._exported = os.environ.get(ARCHIVE_DIR_VARIABLE) or None
        self.directory = Path(self._exported or tempfile.mkdtemp(prefix="awo-class-archives-"))
        os.environ[ARCHIVE_DIR_VARIABLE] = str(self.directory)
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._training: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._fill, name="class-archives", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop a training under way (its process group) and remove a temporary folder."""
        with self._guard:
            self._stop.set()
            self._kill_training()
        self._thread.join(timeout=60)
        if self._exported is None:
            del os.environ[ARCHIVE_DIR_VARIABLE]
            shutil.rmtree(self.directory, ignore_errors=True)

    def _fill(self) -> None:
        deadline = time.monotonic() + WAIT_FOR_JARS_SECONDS
        with tempfile.TemporaryDirectory() as data_dir:
            while not self._stop.is_set() and time.monotonic() < deadline:
                configs = _variants(Path(data_dir))
                for config in configs:
                    if "spark.jars.packages" not in config and not self._stop.is_set():
                        self._create(config)
                if all("spark.jars.packages" not in config for config in configs):
                    return
                self._stop.wait(15)

    def _create(self, config: dict) -> None:
        try:
            create_class_archive(config, self.directory, self._train)
        except Exception as error:  # noqa: BLE001 - a child then starts without an archive
            if not self._stop.is_set():
                warnings.warn(f"no class archive for the tests' children: {error}", stacklevel=1)

    def _train(self, config: dict) -> subprocess.CompletedProcess:
        def started(child: subprocess.Popen) -> None:
            with self._guard:
                self._training = child
                if self._stop.is_set():  # close() came first
                    self._kill_training()

        return train_in_a_child(config, started, start_new_session=True)

    def _kill_training(self) -> None:
        if self._training is not None and self._training.poll() is None:
            os.killpg(self._training.pid, signal.SIGKILL)
