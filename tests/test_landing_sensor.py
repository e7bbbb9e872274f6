"""The landing sensor against a real landing area (local folder and the S3 server), a real Dagster
instance and, where runs happen, real Spark runs of the source assets.

Each guarantee of the README's *Sensor-triggered ingestion* has a test here that injects what
breaks it: a bad file, a restored file, a lagging table, an upload in reverse order, a late file,
junk keys, a cursor reset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from unittest import mock

import dagster as dg
import pytest

from adventureworks_orchestration.constants import LANDING_INGESTION_CHECK_NAME
from adventureworks_orchestration.devtools.memory_s3 import InMemoryS3Listing, ListingCounter
from adventureworks_orchestration.landing.listing import S3LandingLister, build_landing_lister
from adventureworks_orchestration.landing.paths import LANDING_TABLES, landing_file_path
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.storage.delta_table import DeltaDayTable
from adventureworks_orchestration.storage.s3 import ensure_buckets, s3_client

from .conftest import landing_view, make_settings, warehouse_view, write_landing
from .pipeline_helpers import SOURCE, materialize_range
from .sensor_helpers import NOW, SensorDriver, ingestions, latest_provenance

HOUR = dt.timedelta(hours=1)
# every DagsterInstance method that reads runs or events
INSTANCE_QUERIES = (
    "fetch_materializations",
    "fetch_observations",
    "get_run_records",
    "get_runs",
    "get_run_by_id",
    "get_event_records",
    "get_records_for_run",
    "get_latest_materialization_events",
)


@pytest.fixture
def settings(storage_settings):
    return storage_settings


@pytest.fixture
def sensor(settings, instance):
    return SensorDriver(settings, instance)


def _break(landing, table: str, day: str) -> str:
    """Make one landing file unusable (a wrong header: bad ROWS are quarantined, they do not fail
    the run); returns the good content to put back."""
    path = landing_file_path(table, day)
    good = landing.read_text(path)
    header, rest = good.split("\n", 1)
    landing.write_text(path, header.replace("id", "wrong_id", 1) + "\n" + rest)
    return good


def _exactly_once(instance, days) -> None:
    counts = ingestions(instance)
    expected = {(table, day): 1 for table in LANDING_TABLES for day in days}
    assert {k: v for k, v in counts.items() if k[1] in days} == expected


def test_new_days_become_one_run_over_the_range(sensor, settings):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-03"), bookings_per_day=20)

    tick = sensor.tick()

    assert tick.spans == [("2024-03-01", "2024-03-03")]
    assert tick.keys[0].startswith("landing-2024-03-01-2024-03-03-a1-")


def test_gaps_split_runs_and_incomplete_days_wait(sensor, settings):
    write_landing(settings, ["2024-03-01", "2024-03-02", "2024-03-05"], bookings_per_day=20)
    landing_view(settings).remove(landing_file_path("members", "2024-03-02"))

    tick = sensor.tick()

    assert tick.spans == [("2024-03-01", "2024-03-01"), ("2024-03-05", "2024-03-05")]
    assert "2024-03-02: waiting for members before starting its run" in tick.lines


def test_the_same_tick_twice_asks_for_the_same_run_and_ingested_files_start_nothing(
    settings, instance, spark
):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-03"), bookings_per_day=20)
    first, second = SensorDriver(settings, instance), SensorDriver(settings, instance)
    one, two = first.tick(), second.tick()  # two sensors (or one tick evaluated twice)
    assert one.keys == two.keys
    assert first.launch(one) == [True] and second.launch(two) == []  # the duplicate is dropped

    assert first.tick(NOW + HOUR).keys == [] and second.tick(NOW + HOUR).keys == []
    _exactly_once(instance, days_in_range("2024-03-01", "2024-03-03"))


def test_a_run_failing_on_a_bad_file_is_asked_again_for_all_its_days_once_fixed(
    sensor, settings, instance, spark
):
    days = days_in_range("2024-03-01", "2024-03-03")
    write_landing(settings, days, bookings_per_day=20)
    landing = landing_view(settings)
    good = _break(landing, "members", "2024-03-02")
    assert sensor.tick_and_launch().spans == [("2024-03-01", "2024-03-03")]
    assert [r.status for r in instance.get_runs()] == [dg.DagsterRunStatus.FAILURE]

    landing.write_text(landing_file_path("members", "2024-03-02"), good)  # the fix
    fixed = sensor.tick_and_launch(NOW + dt.timedelta(minutes=1))

    assert fixed.spans == [("2024-03-01", "2024-03-03")]
    assert sensor.tick(NOW + HOUR).keys == []
    _exactly_once(instance, days)


def test_with_delta_tables_a_failed_run_is_asked_again_and_each_file_lands_once(
    tmp_path, instance, spark
):
    """The sensor is format-blind: with every asset stored as Delta, a run that failed on a bad
    file is asked again once it is fixed, each file is ingested once, and the failed run added
    no table version."""
    settings = make_settings(tmp_path / "data", table_format="delta")
    sensor = SensorDriver(settings, instance)
    days = days_in_range("2024-03-01", "2024-03-02")
    write_landing(settings, days, bookings_per_day=20)
    landing = landing_view(settings)
    good = _break(landing, "members", "2024-03-02")
    assert sensor.tick_and_launch().spans == [("2024-03-01", "2024-03-02")]
    landing.write_text(landing_file_path("members", "2024-03-02"), good)

    assert sensor.tick_and_launch(NOW + dt.timedelta(minutes=1)).spans == [
        ("2024-03-01", "2024-03-02")
    ]
    assert sensor.tick(NOW + HOUR).keys == []
    _exactly_once(instance, days)
    root = f"{warehouse_view(settings).root_uri}/labs/source/bookings"
    table = DeltaDayTable(spark, root, "booking_date")
    runs = {r.status: r.run_id for r in instance.get_runs()}
    assert set(runs) == {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS}
    writers = {version.run_id for version in table.history() if version.run_id}
    assert writers == {runs[dg.DagsterRunStatus.SUCCESS]}, "the failed run wrote no version"
    per_day = {
        str(r["booking_date"]): r["n"]
        for r in table.read()
        .groupBy("booking_date")
        .count()
        .withColumnRenamed("count", "n")
        .collect()
    }
    assert per_day == {day: 20 for day in days}


def test_a_day_that_keeps_failing_is_given_up_loudly_and_cleared_once_ingested(
    tmp_path, instance, spark
):
    settings = make_settings(tmp_path / "data", sensor_retry_backoff_seconds=60)
    sensor = SensorDriver(settings, instance)
    write_landing(settings, ["2024-03-05"], bookings_per_day=20)
    landing = landing_view(settings)
    good = _break(landing, "bookings", "2024-03-05")

    ticks = [sensor.tick_and_launch(NOW + hour * HOUR) for hour in range(8)]  # past each backoff
    now = NOW + 8 * HOUR

    runs = sorted(instance.get_run_records(), key=lambda r: r.create_timestamp)
    assert [r.dagster_run.tags["awo/landing_attempt"] for r in runs] == ["1", "2", "3"]
    assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.FAILURE}
    gave_up = [t for t in ticks if any(line.startswith("GAVE UP") for line in t.lines)]
    assert len(gave_up) == 1, "reported once"
    assert any(
        line.startswith("GAVE UP on 2024-03-05 after 3 attempt(s)") for line in gave_up[0].lines
    )
    checks = gave_up[0].result.asset_events
    assert {c.asset_key.to_user_string() for c in checks} == set(SOURCE)
    assert all(c.check_name == LANDING_INGESTION_CHECK_NAME and not c.passed for c in checks)
    assert list(checks[0].metadata["stuck_days"].value) == ["2024-03-05"]
    assert sensor.tick(now + 3 * HOUR).keys == [], "no more attempts"

    landing.write_text(landing_file_path("bookings", "2024-03-05"), good)
    assert sensor.tick_and_launch(now + 4 * HOUR).spans == [("2024-03-05", "2024-03-05")]
    cleared = sensor.tick(now + 5 * HOUR)
    assert cleared.keys == []
    assert [c.passed for c in cleared.result.asset_events] == [True, True, True]


def test_a_restored_file_is_ingested_again(sensor, settings, instance, spark):
    day = "2024-03-05"
    write_landing(settings, [day], bookings_per_day=20)
    landing = landing_view(settings)
    path = landing_file_path("bookings", day)
    original = landing.read_text(path)
    sensor.tick_and_launch()
    etag_a = latest_provenance(instance, "bookings", day)["landing_etag"]

    landing.write_text(path, original + "999,1,0,2024-03-05 10:00:00,1\n")  # B: one more row
    assert sensor.tick_and_launch(NOW + HOUR).spans == [(day, day)]
    landing.write_text(path, original)  # A again (on S3: the same etag as before)
    restored = sensor.tick_and_launch(NOW + 2 * HOUR)

    assert restored.spans == [(day, day)]
    provenance = latest_provenance(instance, "bookings", day)
    assert provenance["landing_etag"] != latest_provenance(instance, "members", day)["landing_etag"]
    assert provenance["dagster/row_count"] == 20, "the warehouse holds A's rows, not B's"
    if settings.uses_s3:
        assert provenance["landing_etag"] == etag_a


def test_a_table_ten_days_late_strands_no_day_and_ingested_days_never_wait(
    sensor, settings, instance, spark
):
    early, late = (
        days_in_range("2024-03-01", "2024-03-09"),
        days_in_range("2024-03-10", "2024-03-19"),
    )
    write_landing(settings, early + late, bookings_per_day=5, tables=["bookings", "facilities"])
    write_landing(settings, early, bookings_per_day=5, tables=["members"])
    assert sensor.tick_and_launch().spans == [("2024-03-01", "2024-03-09")]
    sensor.tick_and_launch(NOW + HOUR)

    write_landing(settings, late, bookings_per_day=5, tables=["members"])  # members catches up
    caught_up = sensor.tick_and_launch(NOW + 2 * HOUR)
    sensor.tick_and_launch(NOW + 3 * HOUR)

    assert caught_up.spans == [("2024-03-10", "2024-03-19")]
    _exactly_once(instance, early + late)
    waiting = [line for tick in sensor.ticks for line in tick.lines if "waiting" in line]
    assert sorted(waiting) == [
        f"{day}: waiting for members before starting its run" for day in late
    ]


def test_a_bulk_upload_newest_day_first_is_ingested_whole(tmp_path, instance, spark):
    settings = make_settings(tmp_path / "data", partitions_start="2024-01-01")
    sensor = SensorDriver(settings, instance)
    days = days_in_range("2024-02-19", "2024-03-19")  # 30 days: over four times the lookback
    assert settings.sensor_lookback_days == 7
    sensor.tick_and_launch(NOW - HOUR)  # an empty landing area, reconciled
    now = NOW
    for chunk in range(len(days), 0, -6):  # 6 days at a time, newest first
        write_landing(settings, list(reversed(days[chunk - 6 : chunk])), bookings_per_day=2)
        sensor.tick_and_launch(now)
        now += dt.timedelta(minutes=1)
    sensor.tick_and_launch(now)

    _exactly_once(instance, days)


def test_a_file_forty_days_back_is_found_by_the_next_reconciliation(
    s3_store, tmp_path, instance, spark
):
    settings = _s3_settings(s3_store, tmp_path, "late", partitions_start="2024-01-01")
    lists = _list_counter(settings)
    sensor = SensorDriver(settings, instance, lister=lists.lister)
    write_landing(settings, days_in_range("2024-03-10", "2024-03-19"), bookings_per_day=2)
    sensor.tick_and_launch()  # the first tick reconciles
    write_landing(settings, ["2024-02-09"], bookings_per_day=2)  # 40 days before NOW

    lists.reset()
    ordinary = sensor.tick(NOW + HOUR)
    assert ordinary.keys == [] and lists.requests == 3

    reconciled = sensor.tick_and_launch(NOW + 25 * HOUR)
    assert reconciled.spans == [("2024-02-09", "2024-02-09")]
    lists.reset()
    assert sensor.tick(NOW + 26 * HOUR).keys == [] and lists.requests == 3
    _exactly_once(instance, ["2024-02-09", *days_in_range("2024-03-10", "2024-03-19")])


def test_junk_after_the_window_is_never_listed_by_a_tick_and_reported_once(
    s3_store, tmp_path, instance
):
    settings = _s3_settings(s3_store, tmp_path, "junk")
    window = days_in_range("2024-03-12", "2024-03-19")
    write_landing(settings, window, bookings_per_day=2)
    landing = landing_view(settings)
    junk = [
        "bookings/bookings/README.txt",
        "bookings/bookings/archive/2024-03-01.csv",
        "bookings/members/zz-notes.csv",
        "bookings/facilities/2024-03-19.csv.bak",
    ]
    for key in junk:
        landing.write_text(key, "x")
    lists = _list_counter(settings)
    sensor = SensorDriver(settings, instance, lister=lists.lister)
    reported = [line for line in sensor.tick().lines if line.startswith("skipped")]
    assert sorted(line.split(":")[0] for line in reported) == sorted(f"skipped {k}" for k in junk)

    for hour in (1, 2):
        lists.reset()
        tick = sensor.tick(NOW + hour * HOUR)
        assert lists.requests == 3
        assert sorted(lists.keys) == sorted(
            landing_file_path(t, d) for t in LANDING_TABLES for d in window
        )
        assert not [line for line in tick.lines if line.startswith("skipped")]
    second_reconciliation = sensor.tick(NOW + 25 * HOUR)
    assert not [line for line in second_reconciliation.lines if line.startswith("skipped")]


def test_badly_named_hidden_and_early_files_are_skipped(sensor, settings):
    write_landing(settings, ["2024-03-01"], bookings_per_day=20)
    landing = landing_view(settings)
    landing.write_text("bookings/bookings/2024-03-01.csv.tmp", "partial")
    landing.write_text("bookings/bookings/_SUCCESS", "x")
    landing.write_text("bookings/bookings/2024-03-02.csv", "")  # zero bytes
    landing.write_text("bookings/bookings/report-march.csv", "a,b\n")
    landing.write_text("bookings/bookings/2024-02-01.csv", "a,b\n")  # before the partitions
    landing.write_text("bookings/bookings/2024-03-25.csv", "a,b\n")  # not a complete day yet

    tick = sensor.tick()

    assert sorted(line for line in tick.lines if line.startswith("skipped")) == [
        "skipped bookings/bookings/2024-02-01.csv: day 2024-02-01 is before the partitions' start",
        "skipped bookings/bookings/report-march.csv: not a landing file name "
        "(<table>/<YYYY-MM-DD>.csv)",
    ]
    assert tick.spans == [("2024-03-01", "2024-03-01")]


def test_ingested_days_are_not_requested_again_after_a_cursor_reset(
    sensor, settings, instance, spark
):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-02"), bookings_per_day=20)
    materialize_range(settings, instance, "2024-03-01", "2024-03-02", selection=SOURCE)
    write_landing(settings, ["2024-03-03"], bookings_per_day=20)

    assert sensor.tick().spans == [("2024-03-03", "2024-03-03")]


def test_a_cursor_reset_over_a_year_asks_the_instance_a_handful_of_questions(tmp_path, instance):
    settings = make_settings(tmp_path / "data", partitions_start="2023-03-20")
    year = days_in_range("2023-03-20", "2024-03-18")
    write_landing(settings, year, bookings_per_day=1)
    _record_ingested(instance, settings)  # a year of source materializations
    write_landing(settings, ["2024-03-19"], bookings_per_day=1)

    with contextlib.ExitStack() as stack:
        spies = {
            name: stack.enter_context(
                mock.patch.object(instance, name, wraps=getattr(instance, name))
            )
            for name in INSTANCE_QUERIES
        }
        tick = SensorDriver(settings, instance).tick()
    queries = {name: spy.call_count for name, spy in spies.items() if spy.call_count}

    assert tick.spans == [("2024-03-19", "2024-03-19")]
    assert sum(queries.values()) <= 12, queries


def _record_ingested(instance, settings):
    """What the source assets record when they ingest every landing file there is now: one
    materialization per table and day with the file's key, size and etag. Recorded directly (a
    year of Spark writes takes over a minute and is not what the test is about); the metadata is
    the same as a run's (tests/test_pipeline.py checks what a run records)."""
    lister = build_landing_lister(settings)
    for table, item in (
        (t, i) for t in LANDING_TABLES for i in lister.list_after(f"bookings/{t}/")
    ):
        day = item.key.rsplit("/", 1)[-1][: -len(".csv")]
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=["labs", "source", table],
                partition=day,
                metadata=item.provenance(),
            )
        )


def test_a_tick_lists_once_per_table_however_many_old_files(sensor, settings):
    write_landing(settings, days_in_range("2024-01-01", "2024-03-10"), bookings_per_day=1)
    sensor.tick()
    write_landing(settings, ["2024-03-11"], bookings_per_day=1)
    lists = _list_counter(settings)
    sensor.lister = lists.lister

    tick = sensor.tick(NOW + dt.timedelta(minutes=1))

    assert tick.spans == [("2024-03-11", "2024-03-11")]
    assert lists.requests == 3, "one LIST per table: the window, not the 70 older days"


def _old_keys(count: int) -> list[str]:
    """``count`` landing-like keys for days from 1750 on: older than any partition."""
    days = [(dt.date(1750, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(count // 3 + 1)]
    return [landing_file_path(t, d) for d in days for t in LANDING_TABLES][:count]


@pytest.mark.parametrize("existing", [10_000, 100_000])
def test_a_tick_over_100k_existing_objects_costs_a_handful_of_lists(existing, instance, tmp_path):
    """N objects already in the table prefixes, 10 new files: a tick sends 3 LIST requests and gets
    back only the window's keys. The bucket is an in-memory S3 listing that pages exactly like
    SeaweedFS (tests/test_landing_listing.py); ``..._on_the_s3_server`` checks the same on the
    real server at a size that fills fast."""
    bucket = InMemoryS3Listing(((key, 1, "old") for key in _old_keys(existing)), record_keys=True)
    settings = make_settings(tmp_path / "data")
    sensor = SensorDriver(settings, instance, lister=S3LandingLister(bucket, "landing"))
    sensor.tick()  # the reconciliation lists everything once
    for day in days_in_range("2024-03-01", "2024-03-04"):
        for table in LANDING_TABLES:
            if day < "2024-03-04" or table == "bookings":
                bucket.put(landing_file_path(table, day), f"{table} {day}".encode())

    bucket.counter = ListingCounter()
    tick = sensor.tick(NOW + dt.timedelta(minutes=1))

    assert tick.spans == [("2024-03-01", "2024-03-03")]
    assert bucket.counter.requests == 3
    assert bucket.counter.keys_returned == 10


def test_a_tick_over_existing_objects_costs_a_handful_of_lists_on_the_s3_server(
    s3_store, tmp_path, instance
):
    settings = _s3_settings(s3_store, tmp_path, "3k")
    client = s3_client(settings.s3)
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(
            pool.map(
                lambda k: client.put_object(Bucket=settings.s3.landing_bucket, Key=k, Body=b"x"),
                _old_keys(3_000),
            )
        )
    lists = _list_counter(settings)
    sensor = SensorDriver(settings, instance, lister=lists.lister)
    sensor.tick()
    assert lists.requests == 3, "the reconciliation: 3,000 keys in pages of 1,000"
    write_landing(settings, days_in_range("2024-03-01", "2024-03-04"), bookings_per_day=5)
    landing_view(settings).remove(landing_file_path("members", "2024-03-04"))
    landing_view(settings).remove(landing_file_path("facilities", "2024-03-04"))

    lists.reset()
    tick = sensor.tick(NOW + dt.timedelta(minutes=1))

    assert tick.spans == [("2024-03-01", "2024-03-03")]
    assert lists.requests == 3 and len(lists.keys) == 10


class _ListCounter:
    """ListObjectsV2 requests (and the keys they returned) of a real S3 client, or the folder
    scans of a local lister."""

    def __init__(self, settings):
        self.lister = build_landing_lister(settings)
        self.local = not settings.uses_s3
        self._requests, self.keys = 0, []
        if not self.local:
            events = self.lister.client.meta.events
            events.register("before-call.s3.ListObjectsV2", self._before)
            events.register("after-call.s3.ListObjectsV2", self._after)

    def _before(self, **_):
        self._requests += 1

    def _after(self, parsed, **_):
        self.keys += [item["Key"] for item in parsed.get("Contents", [])]

    @property
    def requests(self) -> int:
        return self.lister.list_calls if self.local else self._requests

    def reset(self):
        self._requests, self.keys = 0, []
        if self.local:
            self.lister.list_calls = 0


def _list_counter(settings):
    return _ListCounter(settings)


def _s3_settings(s3_store, tmp_path, name, **overrides):
    suffix = f"{name}-{uuid.uuid4().hex[:8]}"
    store = replace(s3_store, landing_bucket=f"landing-{suffix}", warehouse_bucket=f"wh-{suffix}")
    ensure_buckets(store, [store.landing_bucket, store.warehouse_bucket])
    return make_settings(tmp_path / "data", storage="s3", s3=store, **overrides)
