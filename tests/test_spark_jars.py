"""The Docker image's build step for the S3A jars, run here the way the Dockerfile runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from adventureworks_orchestration.resources import spark_jars

# A 20 kB artifact with no dependencies: the same resolution as hadoop-aws, without 690 MB.
SMALL_PACKAGE = "com.google.code.findbugs:jsr305:3.0.2"


def _fetch(cache: Path) -> subprocess.CompletedProcess:
    script = Path(spark_jars.__file__)  # a plain script: the image runs it before the project
    return subprocess.run(
        [sys.executable, str(script), "--cache", str(cache), "--package", SMALL_PACKAGE],
        capture_output=True,
        text=True,
        timeout=600,
        cwd="/",
    )


def test_the_build_step_resolves_a_package_into_the_cache_once(tmp_path):
    first = _fetch(tmp_path / "cache")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "resolving dependencies" in first.stderr, "Spark's resolver fetched it"
    assert spark_jars.cached_jars(tmp_path / "cache", SMALL_PACKAGE) == [
        tmp_path / "cache" / "jars" / "com.google.code.findbugs_jsr305-3.0.2.jar"
    ]

    again = _fetch(tmp_path / "cache")
    assert again.returncode == 0
    assert "resolving dependencies" not in again.stderr, "a cached package is not resolved again"


def test_a_session_that_resolves_packages_holds_the_ivy_lock_and_a_cached_one_takes_none(tmp_path):
    import fcntl

    from adventureworks_orchestration.resources.spark_jars import jar_resolution_lock

    def locked_by_someone() -> bool:
        with open(tmp_path / ".resolve.lock", "a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
            return False

    resolving = {"spark.jars.packages": "g:a:1", "spark.jars.ivy": str(tmp_path)}
    with jar_resolution_lock(resolving):
        assert locked_by_someone()
    assert not locked_by_someone()
    with jar_resolution_lock({"spark.driver.extraClassPath": str(tmp_path / "jars/*")}):
        assert not locked_by_someone()
