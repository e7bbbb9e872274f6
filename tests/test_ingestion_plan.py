"""The landing sensor's decisions as plain functions: listings from an in-memory S3 listing, run
outcomes from a table the test controls, time from the test. No Dagster instance, no Spark: the
same rules run against the real thing in tests/test_landing_sensor.py."""

from __future__ import annotations

import pytest

from adventureworks_orchestration.devtools.memory_s3 import InMemoryS3Listing
from adventureworks_orchestration.landing.listing import S3LandingLister
from adventureworks_orchestration.landing.paths import LANDING_TABLES, landing_file_path
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.sensors.cursor import LandingCursor
from adventureworks_orchestration.sensors.ingestion_plan import (
    LOST_REQUEST_SECONDS,
    MISSING,
    Policy,
    RunOutcome,
    RunState,
    plan_tick,
    reconcile_due,
    window_start,
)
from adventureworks_orchestration.sensors.landing_scan import scan_everything, scan_window

FIRST = "2024-01-01"
HI = "2024-03-19"
T0 = 1_700_000_000.0
POLICY = Policy(lookback_days=7, max_days_per_run=31, max_attempts=3, backoff_seconds=60)


class World:
    """A landing bucket, the runs that exist (by key), what the source assets recorded."""

    def __init__(self) -> None:
        self.bucket = InMemoryS3Listing(record_keys=True)
        self.lister = S3LandingLister(self.bucket, "landing")
        self.runs: dict[str, RunOutcome] = {}
        self.recorded: dict[str, dict[str, tuple[str, int]]] = {}
        self.storage_id = 0
        self.lookups: list[list[str]] = []

    def land(self, days, tables=LANDING_TABLES, content: str = "v1") -> None:
        for day in days:
            for table in tables:
                self.bucket.put(landing_file_path(table, day), f"{content}-{table}-{day}".encode())

    def ingest(self, days) -> None:
        """What a successful run records: each table's current etag for each day."""
        for day in days:
            for table in LANDING_TABLES:
                key = landing_file_path(table, day)
                page = self.bucket.list_objects_v2(Prefix=key, MaxKeys=1)
                self.storage_id += 1
                etag = page["Contents"][0]["ETag"].strip('"')
                self.recorded.setdefault(day, {})[table] = (etag, self.storage_id)

    def outcomes(self, keys):
        return {key: self.runs.get(key, MISSING) for key in keys}

    def tick(self, cursor: LandingCursor, now: float, policy: Policy = POLICY, full=None):
        full = reconcile_due(cursor, now, policy) if full is None else full
        if full:
            scan = scan_everything(self.lister, FIRST, HI)
        else:
            scan = scan_window(self.lister, FIRST, window_start(cursor, FIRST, HI, now, policy), HI)
        cursor = LandingCursor.from_json(cursor.to_json())
        for day in set(scan.files) | set(cursor.requests):  # what the wiring looks up
            cursor.recorded[day] = dict(self.recorded.get(day, {}))
        return plan_tick(cursor, scan, now, policy, self.outcomes)


def spans(plan):
    return [(run.first_day, run.last_day, run.attempt) for run in plan.runs]


def test_a_failed_run_is_asked_again_after_its_backoff_then_given_up_loudly():
    world = World()
    world.land(days_in_range("2024-03-01", "2024-03-03"))
    plan = world.tick(LandingCursor(), T0)
    assert spans(plan) == [("2024-03-01", "2024-03-03", 1)]
    first = plan.runs[0].run_key

    world.runs[first] = RunOutcome(RunState.FAILED, "run-1", T0 + 10)
    plan = world.tick(plan.cursor, T0 + 20)
    assert plan.runs == [] and any("attempt 1 of 3" in w for w in plan.warnings)
    plan = world.tick(plan.cursor, T0 + 10 + 60)  # backoff 60 s after the failure
    assert spans(plan) == [("2024-03-01", "2024-03-03", 2)]
    assert plan.runs[0].run_key != first

    world.runs[plan.runs[0].run_key] = RunOutcome(RunState.FAILED, "run-2", T0 + 100)
    plan = world.tick(plan.cursor, T0 + 100 + 119)
    assert plan.runs == []  # second backoff is 120 s
    plan = world.tick(plan.cursor, T0 + 100 + 120)
    assert spans(plan) == [("2024-03-01", "2024-03-03", 3)]

    world.runs[plan.runs[0].run_key] = RunOutcome(RunState.FAILED, "run-3", T0 + 300)
    plan = world.tick(plan.cursor, T0 + 10_000)
    assert plan.runs == [] and plan.gave_up == days_in_range("2024-03-01", "2024-03-03")
    assert any(
        w.startswith("GAVE UP on 2024-03-02 after 3 attempt(s); last run run-3")
        for w in plan.warnings
    )

    quiet = world.tick(plan.cursor, T0 + 20_000)
    assert quiet.runs == [] and quiet.gave_up == [] and quiet.warnings == []


def test_a_fixed_file_restarts_every_day_of_the_run_that_failed_on_it():
    world = World()
    world.land(days_in_range("2024-03-01", "2024-03-03"))
    plan = world.tick(LandingCursor(), T0)
    world.runs[plan.runs[0].run_key] = RunOutcome(RunState.FAILED, "run-1", T0 + 10)
    plan = world.tick(plan.cursor, T0 + 20)  # in backoff
    world.land(["2024-03-02"], ["members"], content="fixed")

    plan = world.tick(plan.cursor, T0 + 30)

    assert spans(plan) == [("2024-03-01", "2024-03-03", 1)]


def test_the_same_state_gives_the_same_keys_and_a_second_sensor_adopts_the_running_request():
    world = World()
    world.land(days_in_range("2024-03-10", "2024-03-12"))
    cursor = world.tick(LandingCursor(), T0).cursor  # reconciliation
    world.land(["2024-03-13"])
    once = world.tick(cursor, T0 + 30)
    twice = world.tick(cursor, T0 + 31)
    assert [r.run_key for r in once.runs] == [r.run_key for r in twice.runs]

    world.runs[once.runs[0].run_key] = RunOutcome(RunState.IN_FLIGHT, "run-1")
    stale = world.tick(cursor, T0 + 40)  # a sensor that never saw the request
    assert stale.runs == [] and stale.cursor.requests["2024-03-13"].key == once.runs[0].run_key


def test_a_request_whose_key_already_failed_moves_to_the_next_attempt_after_a_reset():
    world = World()
    world.land(days_in_range("2024-03-01", "2024-03-03"))
    key = world.tick(LandingCursor(), T0).runs[0].run_key
    world.runs[key] = RunOutcome(RunState.FAILED, "run-1", T0 + 10)

    after_reset = world.tick(LandingCursor(), T0 + 1000)

    assert spans(after_reset) == [("2024-03-01", "2024-03-03", 2)]


def test_a_restored_file_gets_a_new_key():
    world = World()
    world.land(["2024-03-05"], content="A")
    plan = world.tick(LandingCursor(), T0)
    key_a = plan.runs[0].run_key
    world.runs[key_a] = RunOutcome(RunState.SUCCEEDED, "run-a", T0 + 5)
    world.ingest(["2024-03-05"])
    world.land(["2024-03-05"], ["bookings"], content="B")
    plan = world.tick(plan.cursor, T0 + 30)
    world.runs[plan.runs[0].run_key] = RunOutcome(RunState.SUCCEEDED, "run-b", T0 + 35)
    world.ingest(["2024-03-05"])
    world.land(["2024-03-05"], ["bookings"], content="A")

    restored = world.tick(plan.cursor, T0 + 60)

    assert spans(restored) == [("2024-03-05", "2024-03-05", 1)]
    assert restored.runs[0].run_key != key_a


def test_stretches_are_bounded_and_do_not_mix_attempts():
    world = World()
    world.land(days_in_range("2024-01-01", "2024-03-10"))
    plan = world.tick(LandingCursor(), T0, Policy(max_days_per_run=31))
    assert [(a, b) for a, b, _ in spans(plan)] == [
        ("2024-01-01", "2024-01-31"),
        ("2024-02-01", "2024-03-02"),
        ("2024-03-03", "2024-03-10"),
    ]


def test_a_request_without_a_run_counts_as_failed_after_a_while():
    world = World()
    world.land(["2024-03-05"])
    plan = world.tick(LandingCursor(), T0)
    assert world.tick(plan.cursor, T0 + LOST_REQUEST_SECONDS - 1).runs == []
    later = world.tick(plan.cursor, T0 + LOST_REQUEST_SECONDS + 60)
    assert spans(later) == [("2024-03-05", "2024-03-05", 2)]


def test_window_follows_an_upload_that_goes_back_in_time():
    world = World()
    cursor = world.tick(LandingCursor(), T0).cursor  # empty bucket, reconciled
    for offset, day in enumerate(reversed(days_in_range("2024-01-20", "2024-03-19"))):
        world.land([day])
        plan = world.tick(cursor, T0 + 30 * (offset + 1))
        assert spans(plan) == [(day, day, 1)], day
        world.runs[plan.runs[0].run_key] = RunOutcome(RunState.SUCCEEDED, "r", T0)
        world.ingest([day])
        cursor = plan.cursor


def test_junk_is_reported_once_and_forgotten_when_gone():
    world = World()
    world.land(["2024-03-18"])
    world.bucket.put("bookings/bookings/README.txt", b"x")
    world.bucket.put("bookings/bookings/2024-03-18-old.csv", b"x")
    plan = world.tick(LandingCursor(), T0)
    assert sorted(w for w in plan.warnings if w.startswith("skipped")) == [
        "skipped bookings/bookings/2024-03-18-old.csv: not a landing file name "
        "(<table>/<YYYY-MM-DD>.csv)",
        "skipped bookings/bookings/README.txt: not a landing file name (<table>/<YYYY-MM-DD>.csv)",
    ]
    world.ingest(["2024-03-18"])
    plan = world.tick(plan.cursor, T0 + 30)
    assert plan.warnings == []
    plan = world.tick(plan.cursor, T0 + 2 * 86400)  # the next reconciliation
    assert plan.warnings == []

    world.bucket.delete("bookings/bookings/README.txt")
    plan = world.tick(plan.cursor, T0 + 4 * 86400)
    world.bucket.put("bookings/bookings/README.txt", b"back")
    plan = world.tick(plan.cursor, T0 + 6 * 86400)
    assert plan.warnings == [
        "skipped bookings/bookings/README.txt: not a landing file name (<table>/<YYYY-MM-DD>.csv)"
    ]


def test_policy_refuses_nonsense():
    with pytest.raises(ValueError, match="max_attempts"):
        Policy(max_attempts=0)
