"""Freshness per day: deadlines from crons, late days named, computed from what was written FOR
each day (a backfill of another day clears nothing), landing files named by table and day, and the
sensor's per-day evaluations as the instance stores them. The clock is a parameter; no Spark:
materializations are recorded on a real instance as the IO manager records them (one per day)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from adventureworks_orchestration.checks.deadlines import Deadline
from adventureworks_orchestration.checks.freshness import Target, changes, verdicts
from adventureworks_orchestration.checks.freshness_check import (
    evaluate_freshness,
    freshness_check_keys,
    freshness_targets,
)
from adventureworks_orchestration.constants import SAMPLE_JOB_NAME
from adventureworks_orchestration.definitions import build_definitions
from adventureworks_orchestration.landing.listing import build_landing_lister
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.sensors.freshness_sensor import evaluate_freshness_tick

UTC = dt.UTC
REPORT = "labs/reports/revenue_per_facility"
D = "2024-03-19"
PAST_DEADLINE = dt.datetime(2024, 3, 20, 7, 0, tzinfo=UTC)  # D due 2024-03-20 06:00


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=UTC)


# --- deadlines ---------------------------------------------------------------------------------


def test_a_day_is_due_at_the_first_tick_after_it_ends():
    assert Deadline("0 2 * * *").of("2024-03-01") == at(2, 2)
    assert Deadline("0 0 * * *").of("2024-03-01") == at(2, 0)  # a tick at midnight is the end
    assert Deadline("30 6 * * *").of("2024-02-29") == at(1, 6, 30)


def test_the_latest_due_day_moves_at_the_deadline_not_at_midnight():
    landing = Deadline("0 2 * * *")
    assert landing.latest_due_day(at(20, 1, 59), "2024-01-01") == "2024-03-18"
    assert landing.latest_due_day(at(20, 2, 0), "2024-01-01") == "2024-03-19"
    assert landing.latest_due_day(at(1, 1), "2024-03-01") is None
    # a weekly deadline (Mondays 06:00) leaves a whole week due at once
    weekly = Deadline("0 6 * * 1")
    assert weekly.latest_due_day(at(18, 6), "2024-01-01") == "2024-03-17"  # Monday 18th
    assert weekly.latest_due_day(at(18, 5), "2024-01-01") == "2024-03-10"
    assert weekly.due_days(at(20, 7), "2024-01-01", 3) == ["2024-03-15", "2024-03-16", "2024-03-17"]


def test_a_deadline_that_is_not_a_cron_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="AWO_FRESHNESS_DEADLINE.*not a cron"):
        Deadline("at six", "AWO_FRESHNESS_DEADLINE")


# --- verdicts (pure) ---------------------------------------------------------------------------


def test_late_days_are_the_due_days_not_present_and_the_description_names_them():
    target = Target(REPORT, "freshness", Deadline("0 6 * * *"))
    present = {target.key: {"2024-03-17", "2024-03-19"}}
    (verdict,) = verdicts([target], present, PAST_DEADLINE, "2024-01-01", lookback_days=3)
    assert verdict.checked == ("2024-03-17", "2024-03-18", "2024-03-19")
    assert sorted(verdict.late) == ["2024-03-18"] and not verdict.passed
    assert verdict.late["2024-03-18"] == at(19, 6)
    assert "2024-03-18" in verdict.description and "2024-03-19" not in verdict.late_days_json()
    # before D's deadline, D is not late yet
    (early,) = verdicts([target], present, at(20, 5, 59), "2024-01-01", lookback_days=3)
    assert early.checked[-1] == "2024-03-18"


def test_changes_report_newly_late_and_arrived_days_once():
    target = Target(REPORT, "freshness", Deadline("0 6 * * *"))
    late = verdicts([target], {}, PAST_DEADLINE, "2024-03-18", 7)
    (first,) = changes(None, late)
    assert first.newly_late == ("2024-03-18", D) and first.arrived == ()
    assert changes({target.key: ["2024-03-18", D]}, late) == []  # nothing changed: silence
    fixed = verdicts([target], {target.key: {D}}, PAST_DEADLINE, "2024-03-18", 7)
    (second,) = changes({target.key: ["2024-03-18", D]}, fixed)
    assert second.arrived == (D,) and second.newly_late == ()


# --- on a real instance ------------------------------------------------------------------------


@pytest.fixture
def instance():
    """Dagster's in-memory instance: the same SQL storage as a Dagster home, 2 s faster."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def _written(instance: dg.DagsterInstance, asset: str, day: str) -> None:
    key = dg.AssetKey.from_user_string(asset)
    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day))


class Sensor:
    """Ticks of the freshness sensor, their evaluations stored as the daemon stores them."""

    def __init__(self, settings, instance, targets):
        self.settings, self.instance, self.targets, self.cursor = settings, instance, targets, None

    def tick(self, now: dt.datetime) -> list[dg.AssetCheckEvaluation]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        lister = build_landing_lister(self.settings)
        result = evaluate_freshness_tick(context, self.targets, lister, self.settings, now)
        self.cursor = result.cursor
        for event in result.asset_events:
            self.instance.report_runless_asset_event(event)
        return list(result.asset_events)


def _history(instance, asset: str, check: str = "freshness"):
    key = dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), check)
    return instance.event_log_storage.get_asset_check_execution_history(key, limit=100)


def test_a_missing_day_fails_a_backfill_of_an_older_day_does_not_clear_it_writing_it_does(
    settings, instance
):
    settings = settings.with_overrides(partitions_start="2024-03-15", freshness_lookback_days=5)
    targets = [t for t in freshness_targets([dg.AssetKey.from_user_string(REPORT)], settings)]
    sensor = Sensor(settings, instance, targets)
    for day in ("2024-03-15", "2024-03-16", "2024-03-17", "2024-03-18"):
        _written(instance, REPORT, day)

    (event,) = sensor.tick(PAST_DEADLINE)
    assert not event.passed and D in event.description
    assert event.metadata["late_days"].value == {D: "2024-03-20 06:00 UTC"}
    assert event.metadata["newly_late_days"].value == [D]
    assert _history(instance, REPORT)[0].status.value == "FAILED", "the UI's state: red"

    _written(instance, REPORT, "2024-03-16")  # a backfill of an older day, written after D's due
    assert sensor.tick(at(20, 8)) == [], "nothing changed: D is still late"
    (verdict,) = evaluate_freshness(targets, instance, None, settings, at(20, 8))
    assert list(verdict.late) == [D]

    _written(instance, REPORT, D)
    (event,) = sensor.tick(at(20, 9))
    assert event.passed and event.metadata["arrived_days"].value == [D]
    assert [r.status.value for r in _history(instance, REPORT)] == ["SUCCEEDED", "FAILED"]


def test_the_instance_refuses_a_second_sensor_evaluation_of_one_check_and_partition(instance):
    """Why freshness reports one evaluation per check, not one per day (freshness_check.py): if
    this starts passing, Dagster lifted the limit and per-day evaluations become possible."""
    key = dg.AssetKey.from_user_string(REPORT)
    for passed in (False, True):
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(key, "freshness", passed=passed, partition=None)
        )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(key, "freshness", passed=False, partition=D)
    )
    with pytest.raises(Exception, match="UNIQUE constraint"):
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(key, "freshness", passed=True, partition=D)
        )


def test_landing_freshness_names_the_missing_table_and_day(settings, instance):
    settings = settings.with_overrides(partitions_start="2024-03-18", freshness_lookback_days=7)
    for table in ("bookings", "facilities", "members"):
        for day in ("2024-03-18", D):
            if (table, day) != ("members", D):
                path = settings.landing_dir / landing_file_path(table, day)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("header\n")
    source = [dg.AssetKey(["labs", "source", t]) for t in ("bookings", "facilities", "members")]
    targets = [t for t in freshness_targets(source, settings) if t.table]
    lister = build_landing_lister(settings)

    before = evaluate_freshness(targets, instance, lister, settings, at(20, 1, 59))
    assert all(v.passed for v in before), "before 02:00, D's files are not due"
    after = {
        v.target.table: v
        for v in evaluate_freshness(targets, instance, lister, settings, at(20, 2))
    }
    assert after["bookings"].passed and after["facilities"].passed
    assert list(after["members"].late) == [D]
    assert f"the members landing file of {D} is late" in after["members"].description

    events = Sensor(settings, instance, targets).tick(at(20, 2))
    failed = [e for e in events if not e.passed]
    assert [e.asset_key.to_user_string() for e in failed] == ["labs/source/members"]
    assert failed[0].metadata["late_days"].value == {D: "2024-03-20 02:00 UTC"}
    assert "members landing file of 2024-03-19" in failed[0].description


def test_every_asset_has_a_freshness_check_sources_a_landing_one_and_sample_job_runs_neither(
    settings,
):
    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    targets = freshness_targets(graph.get_all_asset_keys(), settings)
    keys = set(freshness_check_keys(targets))
    assert keys <= set(graph.asset_check_keys)
    names = {(k.asset_key.to_user_string(), k.name) for k in keys}
    assert {a.to_user_string() for a in graph.get_all_asset_keys()} == {
        a for a, n in names if n == "freshness"
    }
    assert {a for a, n in names if n == "landing_freshness"} == {
        "labs/source/bookings",
        "labs/source/facilities",
        "labs/source/members",
    }
    assert "freshness_checks" not in defs.resolve_job_def(SAMPLE_JOB_NAME).graph.node_dict
    for name in ("freshness_sensor", "alerts_sensor"):
        assert defs.get_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
