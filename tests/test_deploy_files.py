"""The docker-compose deployment's files, checked without a Docker engine: every file it names
exists, every setting can be overridden from .env, the instance config is valid, the images are
built the same way on every architecture and carry the S3A jars. (tests/deployment runs the
services' commands and environment for real.)"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COMPOSE = PROJECT_ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_the_whole_stack(compose):
    assert set(compose["services"]) >= {
        "seaweedfs",
        "create-buckets",
        "postgres",
        "spark-master",
        "spark-worker",
        "code-location",
        "webserver",
        "daemon",
    }
    spark_targets = {
        compose["services"][s]["build"]["target"] for s in ("spark-master", "spark-worker")
    }
    assert spark_targets == {"spark"}
    import pyspark

    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert f"FROM apache/spark:{pyspark.__version__} AS spark" in dockerfile, "matches pyspark"
    assert compose["services"]["minio"]["image"].startswith("quay.io/minio/minio:RELEASE.")


def test_every_published_port_is_bound_to_loopback(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_built_images_and_mounted_files_exist(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = PROJECT_ROOT / build["context"]
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (PROJECT_ROOT / source).exists(), f"{name} mounts missing {source}"


def test_every_variable_but_the_secrets_has_a_default():
    """The secrets have none (``${NAME:?error}``): compose refuses to start without them."""
    from adventureworks_orchestration.example_secrets import EXAMPLE_SECRETS

    text = COMPOSE.read_text()
    references = re.findall(r"(?<!\$)\$\{([^}]+)\}", text)
    assert references
    required = {ref.split(":?")[0] for ref in references if ":?" in ref}
    assert required == set(EXAMPLE_SECRETS)
    without_default = [ref for ref in references if ":-" not in ref and ":?" not in ref]
    assert without_default == []
    defaulted = {ref.split(":-")[0] for ref in references if ":-" in ref}
    assert not defaulted & set(EXAMPLE_SECRETS), "no secret has a working default"
    assert not [value for value in EXAMPLE_SECRETS.values() if value in text]


def _defaults(environment: dict) -> dict[str, str]:
    """A compose environment as it is when .env sets nothing."""
    return {k: re.sub(r"\$\{[^:}]+:-([^}]*)\}", r"\1", str(v)) for k, v in environment.items()}


def test_project_services_get_the_settings_the_code_reads(compose):
    from adventureworks_orchestration.settings import settings_from_env

    settings = settings_from_env(_defaults(compose["services"]["code-location"]["environment"]))
    assert settings.storage == "s3"
    assert settings.spark_master == "spark://spark-master:7077"
    assert settings.s3.endpoint == "http://seaweedfs:8333"


class _Recording(dict):
    """An environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


# Where the deployment deliberately differs from a laptop's defaults.
DEPLOYMENT_VALUES = {
    "AWO_DATA_DIR",
    "AWO_STORAGE",
    "AWO_SPARK_MASTER",
    "AWO_SPARK_DRIVER_HOST",
    "AWO_SPARK_JARS_CACHE",
    "AWO_SPARK_EXECUTOR_JARS_DIR",
    "AWS_ENDPOINT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def test_every_setting_can_be_overridden_from_dotenv_with_the_codes_default(compose):
    from adventureworks_orchestration.settings import settings_from_env

    asked = _Recording()
    settings_from_env(asked)
    environment = compose["services"]["code-location"]["environment"]
    not_overridable = sorted(
        name
        for name in asked.asked
        if not str(environment.get(name, "")).startswith((f"${{{name}:-", f"${{{name}:?"))
    )
    assert not_overridable == [], (
        "add NAME: ${NAME:-default} to x-dagster-env in docker-compose.yml"
    )
    laptop = settings_from_env({})
    deployed = settings_from_env(
        _defaults({k: environment[k] for k in asked.asked - DEPLOYMENT_VALUES})
    )
    assert deployed == laptop, "compose's defaults are the code's defaults"


def test_minio_has_a_health_check_and_runs_without_seaweedfs(compose):
    services = compose["services"]
    assert services["minio"]["profiles"] == ["minio"]
    assert services["seaweedfs"]["profiles"] == ["seaweedfs"], "the minio profile leaves it out"
    assert services["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    buckets = services["create-buckets"]["depends_on"]
    assert buckets["minio"]["condition"] == "service_healthy"


def test_the_store_and_the_spark_cluster_are_optional_profiles(compose):
    """Without their profile the stack still starts (it then uses the S3 and Spark of .env)."""
    services = compose["services"]
    profiled = {
        name: set(service["profiles"])
        for name, service in services.items()
        if "profiles" in service
    }
    assert set(profiled) == {"seaweedfs", "minio", "spark-master", "spark-worker"}
    for name, service in services.items():
        needs = service.get("depends_on", {})
        needs = needs if isinstance(needs, dict) else {dependency: {} for dependency in needs}
        for dependency, spec in needs.items():
            if dependency in profiled and not profiled[dependency] <= profiled.get(name, set()):
                assert spec.get("required") is False, f"{name} requires optional {dependency}"


def test_the_image_finds_java_the_same_way_on_every_architecture():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    # Debian's default-jre-headless provides /usr/lib/jvm/default-java on amd64 and arm64 alike.
    assert "default-jre-headless" in dockerfile
    assert re.search(r"JAVA_HOME=/usr/lib/jvm/default-java\b", dockerfile)
    instructions = "\n".join(line for line in dockerfile.splitlines() if not line.startswith("#"))
    assert not re.search(r"amd64|arm64|x86_64|aarch64", instructions)


def test_the_images_carry_the_s3a_jars_where_the_settings_look(compose):
    from adventureworks_orchestration.resources import spark_jars

    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    cache = re.search(r"AWO_SPARK_JARS_CACHE=(\S+)", dockerfile).group(1)
    script = Path(spark_jars.__file__).relative_to(PROJECT_ROOT)
    assert re.search(rf"^COPY {script} (\S+)\nRUN python \1 --cache {cache} ", dockerfile, re.M)
    assert f"COPY --from=jars {cache}/jars {cache}/jars" in dockerfile, "the Spark image"
    assert f"COPY --from=jars {cache} {cache}" in dockerfile, "the project image"
    defaults = _defaults(compose["services"]["code-location"]["environment"])
    assert defaults["AWO_SPARK_JARS_CACHE"] == cache
    assert defaults["AWO_SPARK_EXECUTOR_JARS_DIR"] == f"{cache}/jars"


def test_dockerfile_installs_from_the_lock_file():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY .*\buv\.lock\b", dockerfile, re.M)
    assert "uv sync --frozen" in dockerfile
    for copied in re.findall(r"^COPY (?!--)(.+) \S+$", dockerfile, re.M):
        for source in copied.split():
            assert (PROJECT_ROOT / source).exists(), f"Dockerfile copies missing {source}"


def test_dagster_yaml_is_a_valid_instance_config(monkeypatch):
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes import ConfigurableClassData

    text = (PROJECT_ROOT / "deploy" / "dagster.yaml").read_text()
    for name in re.findall(r"env: (\w+)", text):
        monkeypatch.setenv(name, "5432" if name.endswith("_PORT") else "x")
    config, custom_class = dagster_instance_config(str(PROJECT_ROOT / "deploy"))
    assert custom_class is None
    assert "postgres" in config["storage"]
    assert config["run_launcher"]["class"] == "CodeServerRunLauncher"
    assert config["run_monitoring"]["enabled"] is True
    for section in ("run_coordinator", "run_launcher"):
        spec = config[section]
        data = ConfigurableClassData(
            spec["module"], spec["class"], yaml.safe_dump(spec.get("config", {}))
        )
        assert type(data.rehydrate(as_type=object)).__name__ == spec["class"]
    import dagster_postgres  # noqa: F401 - the storage the config names is installed


def test_workspace_points_at_the_code_location_service(compose):
    workspace = yaml.safe_load((PROJECT_ROOT / "deploy/workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    defaults = _defaults(compose["services"]["webserver"]["environment"])
    command = _defaults(
        {str(i): w for i, w in enumerate(compose["services"]["code-location"]["command"])}
    )
    assert defaults[grpc["host"]["env"]] == "code-location"
    assert defaults[grpc["port"]["env"]] == command[str(list(command.values()).index("-p") + 1)]


def _example_dotenv() -> dict[str, str]:
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_env_example_holds_the_example_secrets_and_says_to_change_them():
    from adventureworks_orchestration.example_secrets import EXAMPLE_SECRETS

    text = (PROJECT_ROOT / ".env.example").read_text()
    assert _example_dotenv() == EXAMPLE_SECRETS
    assert "CHANGE EVERY SECRET" in text
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (PROJECT_ROOT / ignore).read_text().splitlines(), ignore


def test_compose_refuses_to_start_without_the_secrets():
    from .deployment import compose

    dotenv = _example_dotenv()
    del dotenv["AWS_SECRET_ACCESS_KEY"]
    with pytest.raises(KeyError, match="AWS_SECRET_ACCESS_KEY"):
        compose.environment("code-location", dotenv)


def _create_buckets(dotenv: dict[str, str]) -> subprocess.CompletedProcess:
    """``awo create-buckets`` (every Dagster service waits for it) in its compose environment,
    against a port where nothing listens."""
    from .deployment import compose

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = compose.environment("create-buckets", {**dotenv, "AWS_ENDPOINT": endpoint})
    env = {**env, "PATH": os.environ["PATH"], "AWO_DATA_DIR": "unused"}
    awo = str(Path(sys.executable).parent / "awo")
    return subprocess.run([awo, "create-buckets"], env=env, capture_output=True, text=True)


def test_the_stack_stops_at_create_buckets_on_the_example_secrets_unless_a_local_trial():
    from adventureworks_orchestration.example_secrets import EXAMPLE_SECRETS

    refused = _create_buckets(_example_dotenv())
    assert refused.returncode == 2, refused.stderr
    assert "AWO_LOCAL_TRIAL=true" in refused.stderr
    for name, value in EXAMPLE_SECRETS.items():
        assert name in refused.stderr and value not in refused.stdout + refused.stderr

    trial = _create_buckets({**_example_dotenv(), "AWO_LOCAL_TRIAL": "true"})
    assert "example values" not in trial.stderr
    assert "cannot list buckets" in trial.stderr, "it went on to the store"
