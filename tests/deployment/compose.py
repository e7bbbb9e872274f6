"""docker-compose.yml and the Dockerfile read the way Docker would read them, so the test
deployment runs their services' commands and environment for real on a machine without Docker.

Only what the harness needs: ``${VAR:-default}`` / ``${VAR:?error}`` / ``${VAR}`` / ``$$``
interpolation against a ``.env``-like mapping, a service's environment, command and health check,
and where the Dockerfile copies the project's files inside the image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"

_REFERENCE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*)|:\?(?P<error>[^}]*))?\}"
)


@cache
def compose_file() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def interpolate(value: object, dotenv: Mapping[str, str]) -> str:
    """Compose's rule: ``${VAR:-default}`` is VAR from ``.env`` when set and not empty;
    ``${VAR:?error}`` stops with the error unless it is."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group("name"), match.group("default")
        if match.group("error") is not None:
            if not dotenv.get(name):
                raise KeyError(f"{name}: {match.group('error')}")
            return dotenv[name]
        if default is None and name not in dotenv:
            raise KeyError(f"docker-compose.yml uses ${{{name}}} without a default")
        return dotenv.get(name) or (default or "")

    return _REFERENCE.sub(replace, str(value))


def service(name: str) -> dict:
    return compose_file()["services"][name]


def environment(name: str, dotenv: Mapping[str, str]) -> dict[str, str]:
    """A service's environment after interpolation (YAML merge keys already applied)."""
    return {key: interpolate(value, dotenv) for key, value in service(name)["environment"].items()}


def command(name: str, dotenv: Mapping[str, str]) -> list[str]:
    raw = service(name)["command"]
    words = raw.split() if isinstance(raw, str) else raw
    return [interpolate(word, dotenv) for word in words]


def healthcheck(name: str, dotenv: Mapping[str, str]) -> list[str]:
    """The health check's command (``["CMD", ...]`` form) after interpolation."""
    test = service(name)["healthcheck"]["test"]
    if test[0] != "CMD":
        raise ValueError(f"{name}: only CMD health checks can run without a container")
    return [interpolate(word, dotenv) for word in test[1:]]


def image_env() -> dict[str, str]:
    """The ``ENV`` values of the Dockerfile's stages (one fact each, whichever stage sets it)."""
    env: dict[str, str] = {}
    for block in re.findall(r"^ENV ((?:.*\\\n)*.*)$", DOCKERFILE.read_text(), re.M):
        for pair in block.replace("\\\n", " ").split():
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def copied_into_image() -> dict[str, Path]:
    """Image path -> project file, for each ``COPY <files> <folder>/`` from the build context."""
    copies: dict[str, Path] = {}
    for sources, target in re.findall(r"^COPY (?!--)(.+) (/\S+/)$", DOCKERFILE.read_text(), re.M):
        for source in sources.split():
            copies[target + Path(source).name] = PROJECT_ROOT / source
    return copies
