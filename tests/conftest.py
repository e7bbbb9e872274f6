"""Shared fixtures: one real Spark session for the whole test session, temp data folders,
real Dagster instances, and sample landing data made by the project's own generator."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from pyspark.sql import SparkSession

from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter
from adventureworks_orchestration.resources.java import JavaNotFoundError, require_java
from adventureworks_orchestration.resources.spark import spark_config
from adventureworks_orchestration.settings import Settings

TEST_START = "2024-03-01"
TEST_BOOKINGS_PER_DAY = 200


def pytest_configure(config: pytest.Config) -> None:
    try:
        require_java()
    except JavaNotFoundError as exc:
        pytest.exit(f"cannot run the tests: {exc}", returncode=2)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: everything under ``data_dir``, a small local Spark."""
    base = Settings(data_dir=data_dir, partitions_start=TEST_START, spark_shuffle_partitions=2)
    return base.with_overrides(**overrides) if overrides else base


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """The one Spark session every test (and every in-process Dagster run) shares."""
    builder = SparkSession.builder
    for key, value in spark_config(make_settings(Path("unused"))).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


def write_landing(
    settings: Settings, days: list[str], bookings_per_day: int = TEST_BOOKINGS_PER_DAY
):
    config = GeneratorConfig(bookings_per_day=bookings_per_day)
    return LandingWriter.local(str(settings.landing_dir)).write(days, config)


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, keyed by relative path."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
