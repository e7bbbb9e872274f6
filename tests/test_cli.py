"""``awo``, the quick-start command, end to end; and the one-line answer when Java is missing."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from adventureworks_orchestration.cli import main
from adventureworks_orchestration.datagen import GeneratorConfig, LandingWriter
from adventureworks_orchestration.resources import java

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[str, str]]:
    code = main(
        [
            "--data-dir",
            str(tmp_path / "my data"),
            "demo",
            "--days",
            "2",
            "--bookings-per-day",
            "150",
        ]
    )
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, out
    per_asset = [line for line in captured.err.splitlines() if " day(s), " in line]
    assert len(per_asset) == 8, f"one progress line per asset: {captured.err}"
    assert "DEBUG" not in captured.err and "ASSET_MATERIALIZATION" not in captured.err
    table = out[out.index("asset ") :].split("\n\n")[0].splitlines()[1:]
    assert f"export DAGSTER_HOME={tmp_path / 'home'}" in out, "says how to reach this instance"
    return {line.split()[0]: (line.split()[1], line.split()[2]) for line in table if line.strip()}


def test_demo_materializes_the_whole_graph_and_is_idempotent(tmp_path, monkeypatch, capsys, spark):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AWO_PARTITIONS_START", raising=False)

    first = _demo(tmp_path, capsys)
    landing = sorted((tmp_path / "my data/landing").rglob("*.csv"))
    stamps = [path.stat().st_mtime_ns for path in landing]
    second = _demo(tmp_path, capsys)
    assert [path.stat().st_mtime_ns for path in landing] == stamps, "landing files kept"

    assert len(first) == 8
    assert all(days == "2" and int(rows) > 0 for days, rows in first.values())
    assert first["labs/source/bookings"][1] == str(2 * 150 + 2 * int(150 * 0.005))
    assert first == second, "a second demo run gives the same rows"
    reports = tmp_path / "my data/warehouse/labs/reports/revenue_per_facility"
    assert sorted(p.name for p in reports.glob("booking_date=*")) == [
        "booking_date=2024-01-01",
        "booking_date=2024-01-02",
    ]
    assert (tmp_path / "home" / "dagster.yaml").exists()


def _landing_digests(data_dir: Path) -> dict[str, str]:
    landing = data_dir / "landing"
    return {
        str(path.relative_to(landing)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(landing.rglob("*.csv"))
    }


def _late_line(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("late file")]
    return line


def test_generate_faults_holds_back_a_late_file_and_says_how_to_write_it(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("AWO_PARTITIONS_START", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # each data folder makes its own
    late = "bookings/bookings/2024-01-03.csv"

    def generate(data_dir: Path) -> str:
        code = main(
            ["--data-dir", str(data_dir), "generate", "--days", "3", "--bookings-per-day", "20"]
            + ["--faults", "--seed", "7"]
        )
        out = capsys.readouterr().out
        assert code == 0, out
        return out

    line = _late_line(generate(tmp_path / "a"))
    held = _landing_digests(tmp_path / "a")
    assert len(held) == 8 and late not in held, "every file but the last day's bookings"
    assert line == (
        f"late file (--faults): {late} (bookings of 2024-01-03) held back, not written; write it "
        f"later with: awo --data-dir {tmp_path / 'a'} generate --start 2024-01-03 --days 1 "
        "--faults --seed 7 --bookings-per-day 20"
    )
    assert _late_line(generate(tmp_path / "b")) == line.replace(
        str(tmp_path / "a"), str(tmp_path / "b")
    )
    assert _landing_digests(tmp_path / "b") == held, "the same seed, the same files"

    assert main(shlex.split(line.split("write it later with: ")[1])[1:]) == 0
    assert "late file" not in capsys.readouterr().out, "one day generated: nothing held back"
    config = GeneratorConfig(20, seed=7, faults=True)
    LandingWriter.local(tmp_path / "c" / "landing").write(["2024-01-03"], config, ["bookings"])
    expected = _landing_digests(tmp_path / "c")[late]
    assert _landing_digests(tmp_path / "a") == {**held, late: expected}, "the held-back file"


def test_demo_with_faults_leaves_the_late_day_out_and_status_names_the_late_file(
    tmp_path, monkeypatch, capsys, spark
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AWO_PARTITIONS_START", raising=False)
    data = tmp_path / "my data"
    demo = ["--data-dir", str(data), "demo", "--days", "2", "--bookings-per-day", "250"]

    code = main([*demo, "--faults"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert _late_line(out).startswith(
        "late file (--faults): bookings/bookings/2024-01-02.csv (bookings of 2024-01-02) held "
        "back, not written, so this run leaves 2024-01-02 out; write it later with: awo "
    )
    assert "materializing group labs for 2024-01-01 in one run" in out
    reports = data / "warehouse/labs/reports/revenue_per_facility"
    assert [p.name for p in reports.glob("booking_date=*")] == ["booking_date=2024-01-01"]

    code = main(["--data-dir", str(data), "status", "--at", "2024-01-03T03:00"])
    out = capsys.readouterr().out
    assert code == 1, out
    (bookings,) = [line for line in out.splitlines() if line.startswith("labs/source/bookings ")]
    assert "LATE 1 bookings landing file(s) from 2024-01-02" in bookings


def _fake_java(folder: Path, listing: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "java"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{listing}\nEOF\n")
    script.chmod(0o755)
    return script


def test_old_java_is_refused_with_what_to_install(tmp_path):
    fake = _fake_java(tmp_path / "bin", "java.base@11.0.2\njdk.incubator.vector@11.0.2")
    with pytest.raises(java.JavaNotFoundError, match="Java 11, Spark 4 needs 17 or 21.*apt-get"):
        java._inspect(fake)


def test_trimmed_runtime_without_vector_module_is_refused(tmp_path):
    fake = _fake_java(tmp_path / "bin", "java.base@17.0.9\njava.sql@17.0.9")
    with pytest.raises(java.JavaNotFoundError, match="lacks the jdk.incubator.vector module"):
        java._inspect(fake)


def test_real_java_is_accepted():
    runtime = java.require_java()
    assert runtime.major in java.SUPPORTED_MAJORS


@pytest.mark.parametrize(
    "command",
    [
        [str(Path(sys.executable).parent / "awo"), "demo", "--days", "1"],
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        [sys.executable, "-m", "pytest", "tests/test_datagen.py", "-q", "-p", "no:cacheprovider"],
    ],
    ids=["awo", "dagster", "pytest"],
)
def test_every_entry_point_says_in_one_line_that_java_is_missing(tmp_path, command):
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-jdk"), "AWO_DATA_DIR": str(tmp_path)}
    env["DAGSTER_HOME"] = str(tmp_path)

    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert f"no Java found: JAVA_HOME={tmp_path / 'no-jdk'} has no bin/java" in output
    assert "unset JAVA_HOME to use the java on PATH" in output, "java is on PATH here"
    assert "Py4J" not in output and "Java gateway" not in output
    if command[0].endswith("awo"):
        assert completed.stderr.strip().count("\n") == 0, "exactly one line"


def test_no_java_at_all_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    java.require_java.cache_clear()
    try:
        with pytest.raises(java.JavaNotFoundError, match="no java on PATH.*openjdk-17"):
            java.require_java()
    finally:
        java.require_java.cache_clear()
