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
