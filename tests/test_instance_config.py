"""The settings every Dagster instance we ship must carry, held together in one test."""

from __future__ import annotations

from pathlib import Path

import yaml

from adventureworks_orchestration.dagster_home import (
    EMBEDDED_INSTANCE_CONFIG,
    MARKER,
    ensure_dagster_home,
    instance_config,
)

DEPLOY_INSTANCE = Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml"


def _contains(big: object, small: object) -> bool:
    if isinstance(small, dict):
        return isinstance(big, dict) and all(_contains(big.get(k), v) for k, v in small.items())
    return big == small


def test_deployed_instance_has_every_setting_of_the_embedded_one():
    deployed = yaml.safe_load(DEPLOY_INSTANCE.read_text())
    assert _contains(deployed, EMBEDDED_INSTANCE_CONFIG)
    assert not _contains({}, EMBEDDED_INSTANCE_CONFIG), "the check can fail"


def test_pools_allow_one_writer_per_asset():
    assert EMBEDDED_INSTANCE_CONFIG["concurrency"]["pools"]["default_limit"] == 1


def test_dagster_home_is_written_once_and_a_users_own_config_is_kept(tmp_path):
    home = ensure_dagster_home(tmp_path / "home")
    assert yaml.safe_load((home / "dagster.yaml").read_text()) == instance_config(home)

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_home(home)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_an_empty_config_left_by_older_versions_is_replaced(tmp_path):
    (tmp_path / "dagster.yaml").write_text("")
    ensure_dagster_home(tmp_path)
    assert yaml.safe_load((tmp_path / "dagster.yaml").read_text()) == instance_config(tmp_path)


def test_a_home_written_by_an_older_awo_gets_the_console_level_and_keeps_its_edits(tmp_path):
    older = {**EMBEDDED_INSTANCE_CONFIG, "telemetry": {"enabled": False}}
    (tmp_path / "dagster.yaml").write_text(MARKER + "\n" + yaml.safe_dump(older))

    ensure_dagster_home(tmp_path)

    written = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert written["python_logs"] == {"python_log_level": "INFO"}
    assert written["telemetry"] == {"enabled": False}


def test_the_embedded_instance_prints_info_not_a_debug_line_per_day(tmp_path):
    import dagster as dg

    with dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path))) as instance:
        assert instance.python_log_level == "INFO"


def test_a_new_home_has_its_databases_before_any_process_starts_on_it(tmp_path):
    """Two processes creating the SQLite databases at once corrupt their schema version."""
    home = ensure_dagster_home(tmp_path / "fresh")

    for database in ("history/runs.db", "history/runs/index.db", "schedules/schedules.db"):
        assert (home / database).exists(), database


def test_a_home_with_storage_of_its_own_keeps_it_and_gets_no_event_log(tmp_path):
    """Dagster refuses `storage` beside `event_log_storage`: a user's storage choice wins."""
    own = {"storage": {"sqlite": {"base_dir": str(tmp_path / "elsewhere")}}}
    (tmp_path / "dagster.yaml").write_text(MARKER + "\n" + yaml.safe_dump(own))

    ensure_dagster_home(tmp_path)

    written = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert written["storage"] == own["storage"] and "event_log_storage" not in written
    import dagster as dg

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs(limit=1) == []


def test_a_moved_home_writes_its_events_where_it_now_is(tmp_path):
    """The event log's path is written into dagster.yaml; awo moves it with the folder."""
    import dagster as dg

    old = ensure_dagster_home(tmp_path / "old")
    new = tmp_path / "new"
    old.rename(new)

    ensure_dagster_home(new)

    written = yaml.safe_load((new / "dagster.yaml").read_text())
    assert written["event_log_storage"]["config"]["base_dir"] == str(new / "history" / "runs")
    with dg.DagsterInstance.from_config(str(new)) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization("moved"))
    assert not (tmp_path / "old").exists(), "nothing written to the old place"
