"""The docker-compose deployment, checked without a Docker engine: every file it names exists,
every variable it uses has a default, the instance config is valid, and the image installs from
the same lock file as everyone else."""

from __future__ import annotations

import re
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
    spark_images = {compose["services"][s]["image"] for s in ("spark-master", "spark-worker")}
    import pyspark

    assert spark_images == {f"apache/spark:{pyspark.__version__}"}, "cluster matches pyspark"
    assert compose["services"]["minio"]["image"].startswith("quay.io/minio/minio:RELEASE.")
    assert compose["services"]["minio"]["profiles"] == ["minio"]


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


def test_every_variable_has_a_default():
    text = COMPOSE.read_text()
    references = re.findall(r"(?<!\$)\$\{([^}]+)\}", text)
    assert references
    without_default = [ref for ref in references if ":-" not in ref]
    assert without_default == []


def test_project_services_get_the_settings_the_code_reads(compose):
    from adventureworks_orchestration.settings import settings_from_env

    env = {k: str(v) for k, v in compose["services"]["code-location"]["environment"].items()}
    env = {k: re.sub(r"\$\{[^:}]+:-([^}]*)\}", r"\1", v) for k, v in env.items()}
    settings = settings_from_env(env)
    assert settings.storage == "s3"
    assert settings.spark_master == "spark://spark-master:7077"
    assert settings.s3.endpoint == "http://seaweedfs:8333"


def test_dockerfile_installs_from_the_lock_file():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY .*\buv\.lock\b", dockerfile, re.M)
    assert "uv sync --frozen" in dockerfile
    for copied in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for source in copied.split():
            assert (PROJECT_ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert "openjdk-17" in dockerfile, "the image has the Java Spark needs"


def test_dagster_yaml_is_a_valid_instance_config(monkeypatch):
    from dagster._core.instance.config import dagster_instance_config
    from dagster._serdes import ConfigurableClassData

    for name in ("HOST", "USER", "PASSWORD", "DB"):
        monkeypatch.setenv(f"DAGSTER_POSTGRES_{name}", "x")
    config, custom_class = dagster_instance_config(str(PROJECT_ROOT / "deploy"))
    assert custom_class is None
    assert "postgres" in config["storage"]
    assert config["run_launcher"]["class"] == "DefaultRunLauncher"
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
    command = compose["services"]["code-location"]["command"]
    assert grpc["host"] == "code-location"
    assert str(grpc["port"]) == command[command.index("-p") + 1]
