"""``awo`` as a command line: help with defaults, --version, one-line argument errors, hints for
misplaced options, and help that loads nothing heavy. Real subprocesses of the installed ``awo``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from adventureworks_orchestration.cli.main import version
from adventureworks_orchestration.cli.parser import build_parser
from adventureworks_orchestration.cli.registry import COMMANDS

AWO = str(Path(sys.executable).parent / "awo")
HEAVY = ("dagster", "pyspark", "boto3", "pandas", "pyarrow", "rich")


def _awo(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWO_DATA_DIR": str(data_dir)}
    env.pop("AWO_PARTITIONS_START", None)
    env.pop("DAGSTER_HOME", None)  # a developer's exported one is not the test's
    return subprocess.run([AWO, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(args):
    probe = (
        "import sys\n"
        "from adventureworks_orchestration.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert "LOADED []" in completed.stdout, completed.stdout + completed.stderr


def test_version_names_the_project_and_its_engines(tmp_path):
    completed = _awo("--version", data_dir=tmp_path)
    assert completed.returncode == 0
    expected = metadata.version("adventureworks-orchestration")
    assert completed.stdout.strip() == version()
    assert completed.stdout.startswith(f"awo {expected} (dagster 1.13.27, pyspark 4.2.0")


def test_every_command_has_a_description_and_every_option_help_and_its_default():
    parser = build_parser(COMMANDS, "v")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {c.NAME for c in COMMANDS} == set(subparsers.choices)
    for name, sub in [("awo", parser), *subparsers.choices.items()]:
        assert sub.description and sub.description.strip(), f"{name} has a description"
        text = sub.format_help()
        assert "``" not in text, "no literal reST markup"
        for action in sub._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            assert action.help, f"{name} {action.option_strings} has help"
            if action.default not in (None, False, argparse.SUPPRESS) and action.dest != "help":
                assert f"default: {action.default}" in " ".join(text.split()), (
                    f"{name} {action.option_strings} shows its default"
                )
    for choice in subparsers._choices_actions:
        assert choice.help, f"awo {choice.dest} has a one-line help in awo --help"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["demo", "--start", "2024-13-01"], "'2024-13-01' is not a day in YYYY-MM-DD form"),
        (["demo", "--days", "0"], "--days: 0 is not 1 or more"),
        (["demo", "--start", "2099-01-01"], "goes past the partitions' last day"),
        (["generate", "--start", "2023-12-31"], "is before the partitions' first day 2024-01-01"),
        (["backfill", "2024-01-05", "2024-01-01"], "the range ends (2024-01-01) before it starts"),
        (
            ["demo", "--data-dir", "elsewhere", "--days", "2"],
            "--data-dir is an option of awo itself, so it goes before the command: "
            "awo --data-dir elsewhere demo --days 2",
        ),
        (
            ["--days", "3", "demo"],
            "--days is an option of 'awo demo', so it goes after the command: awo demo --days 3",
        ),
        (["backfill", "2024-01-01", "2024-01-02", "--assets", "labs/source/member"], None),
    ],
    ids=["bad-day", "zero-days", "after-end", "before-start", "reversed", "global-late", "early"]
    + ["unknown-asset"],
)
def test_bad_arguments_fail_in_one_line_before_anything_is_written(tmp_path, args, expected):
    completed = _awo(*args, data_dir=tmp_path / "data")

    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().count("\n") == 0, f"one line: {completed.stderr}"
    if expected:
        assert expected in completed.stderr
    else:
        assert "did you mean labs/source/members?" in completed.stderr
    assert not (tmp_path / "data" / "landing").exists(), "nothing generated"


def test_generate_keeps_existing_landing_files_unless_overwrite(tmp_path):
    own = tmp_path / "data/landing/bookings/members/2024-01-01.csv"
    own.parent.mkdir(parents=True)
    own.write_text("memid,surname,firstname,joindate\n0,GUEST,GUEST,2012-07-01 00:00:00\n")

    kept = _awo("generate", "--days", "2", "--bookings-per-day", "20", data_dir=tmp_path / "data")

    assert kept.returncode == 0, kept.stderr
    assert own.read_text().count("\n") == 2, "the user's file is untouched"
    assert "wrote 5 landing file(s)" in kept.stdout
    assert "kept 1 that already existed (bookings/members/2024-01-01.csv)" in kept.stdout
    assert "--overwrite replaces them" in kept.stdout

    replaced = _awo(
        "generate", "--days", "2", "--bookings-per-day", "20", "--overwrite",
        data_dir=tmp_path / "data",
    )  # fmt: skip

    assert replaced.returncode == 0, replaced.stderr
    assert "wrote 6 landing file(s)" in replaced.stdout and "kept" not in replaced.stdout
    assert own.read_text().count("\n") > 2


def test_generate_makes_the_project_instance_that_dg_launch_is_told_to_use(tmp_path):
    """The README's range from the command line: `awo generate`, then `dg launch` with
    DAGSTER_HOME exported. Without the project's dagster.yaml there, Dagster runs with its
    defaults: no concurrency pools (two writers of one asset at once), no batched event log,
    DEBUG run logs. (What Dagster does with the project's config is tested apart:
    test_instance_config, test_concurrent_writers, test_event_log_storage.)"""
    import yaml

    from adventureworks_orchestration.dagster_home import MARKER, instance_config

    generated = _awo("generate", "--days", "1", "--bookings-per-day", "5", data_dir=tmp_path / "d")

    assert generated.returncode == 0, generated.stderr
    home = tmp_path / "d" / "dagster_home"
    assert f"export DAGSTER_HOME={home}" in generated.stdout
    config = (home / "dagster.yaml").read_text()
    assert config.startswith(MARKER) and yaml.safe_load(config) == instance_config(home)
    assert (home / "history" / "runs.db").exists()


def test_generate_writes_the_files_and_says_so_when_the_dagster_home_cannot_be_made(tmp_path):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    env_home = {"DAGSTER_HOME": str(blocked / "home")}
    generated = subprocess.run(
        [AWO, "generate", "--days", "1", "--bookings-per-day", "5"],
        env={**os.environ, "AWO_DATA_DIR": str(tmp_path / "d"), **env_home},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert generated.returncode == 0, generated.stderr
    assert "wrote 3 landing file(s)" in generated.stdout
    assert generated.stderr.startswith("awo: could not make the Dagster home: ")
    assert "Traceback" not in generated.stderr and len(generated.stderr.splitlines()) == 1


def test_generate_with_dagster_home_exported_makes_that_home_and_repeats_no_export_line(tmp_path):
    """A user who already exported DAGSTER_HOME (the README says to) gets that instance made
    there, with no export line to copy again; the data folder gets no second home."""
    exported = tmp_path / "exported home"
    generated = subprocess.run(
        [AWO, "generate", "--days", "1", "--bookings-per-day", "5"],
        env={**os.environ, "AWO_DATA_DIR": str(tmp_path / "d"), "DAGSTER_HOME": str(exported)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert generated.returncode == 0, generated.stderr
    assert "export DAGSTER_HOME" not in generated.stdout
    assert (exported / "dagster.yaml").exists()
    assert not (tmp_path / "d" / "dagster_home").exists()
