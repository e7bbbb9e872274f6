"""The landing sensor against a real landing area (local folder and the S3 server)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import dagster as dg
import pytest

from adventureworks_orchestration.landing.listing import build_landing_lister
from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.partitions import days_in_range
from adventureworks_orchestration.sensors.landing_scan import LandingCursor, scan_landing
from adventureworks_orchestration.sensors.landing_sensor import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    evaluate_landing,
)
from adventureworks_orchestration.storage.s3 import ensure_buckets, s3_client

from .conftest import landing_view, make_settings, write_landing
from .pipeline_helpers import materialize_range

NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)  # last complete day: 2024-03-19


@pytest.fixture
def settings(storage_settings):
    return storage_settings


def tick(settings, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = evaluate_landing(context, build_landing_lister(settings), settings, NOW)
    assert isinstance(result, dg.SensorResult)
    return result


def spans(result):
    return [(r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests]


def test_new_days_become_one_run_over_the_range(settings, instance):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-03"), bookings_per_day=20)

    result = tick(settings, instance)

    assert spans(result) == [("2024-03-01", "2024-03-03")]
    assert result.run_requests[0].run_key.startswith("landing-2024-03-01-2024-03-03-")


def test_gaps_split_runs_and_incomplete_days_wait(settings, instance):
    write_landing(settings, ["2024-03-01", "2024-03-02", "2024-03-05"], bookings_per_day=20)
    landing_view(settings).remove(landing_file_path("members", "2024-03-02"))

    result = tick(settings, instance)

    assert spans(result) == [("2024-03-01", "2024-03-01"), ("2024-03-05", "2024-03-05")]


def test_same_files_again_start_nothing_and_replaced_file_restarts_its_day(settings, instance):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-03"), bookings_per_day=20)
    first = tick(settings, instance)

    again = tick(settings, instance, first.cursor)
    assert again.run_requests == []

    landing = landing_view(settings)
    path = landing_file_path("bookings", "2024-03-02")
    landing.write_text(path, landing.read_text(path) + "999,1,0,2024-03-02 10:00:00,1\n")
    replaced = tick(settings, instance, again.cursor)
    assert spans(replaced) == [("2024-03-02", "2024-03-02")]
    assert tick(settings, instance, replaced.cursor).run_requests == []


def test_late_file_for_an_old_day_starts_that_day(settings, instance):
    write_landing(settings, days_in_range("2024-03-10", "2024-03-12"), bookings_per_day=20)
    first = tick(settings, instance)

    write_landing(settings, ["2024-03-07"], bookings_per_day=20)  # late, within the lookback
    late = tick(settings, instance, first.cursor)

    assert spans(late) == [("2024-03-07", "2024-03-07")]


def test_badly_named_hidden_and_out_of_range_files_are_skipped(settings, instance):
    write_landing(settings, ["2024-03-01"], bookings_per_day=20)
    landing = landing_view(settings)
    landing.write_text("bookings/bookings/2024-03-01.csv.tmp", "partial")
    landing.write_text("bookings/bookings/_SUCCESS", "x")
    landing.write_text("bookings/bookings/2024-03-02.csv", "")  # zero bytes
    landing.write_text("bookings/bookings/report-march.csv", "a,b\n")
    landing.write_text("bookings/bookings/2024-03-25.csv", "a,b\n")  # not a complete day yet

    scan = scan_landing(build_landing_lister(settings), LandingCursor(), "2024-03-01", "2024-03-19")
    result = tick(settings, instance)

    assert sorted(scan.skipped) == [
        "bookings/bookings/2024-03-25.csv: day 2024-03-25 is outside the partitions "
        "(2024-03-01..2024-03-19)",
        "bookings/bookings/report-march.csv: not a landing file name (<table>/<YYYY-MM-DD>.csv)",
    ]
    assert spans(result) == [("2024-03-01", "2024-03-01")]


def test_ingested_days_are_not_requested_again_after_a_cursor_reset(settings, instance, spark):
    write_landing(settings, days_in_range("2024-03-01", "2024-03-02"), bookings_per_day=20)
    materialize_range(settings, instance, "2024-03-01", "2024-03-02", selection=None)
    write_landing(settings, ["2024-03-03"], bookings_per_day=20)

    after_reset = tick(settings, instance, cursor=None)

    assert spans(after_reset) == [("2024-03-03", "2024-03-03")]


def test_a_tick_lists_once_per_table_however_many_old_files(settings, instance):
    old_days = days_in_range("2024-01-01", "2024-03-10")
    write_landing(settings, old_days, bookings_per_day=1)
    first = tick(settings, instance)
    write_landing(settings, ["2024-03-11"], bookings_per_day=1)

    lister = build_landing_lister(settings)
    calls = _count_list_calls(lister)
    context = dg.build_sensor_context(instance=instance, cursor=first.cursor)
    result = evaluate_landing(context, lister, settings, NOW)

    assert spans(result) == [("2024-03-11", "2024-03-11")]
    assert calls() == 3, "one LIST per table: the window, not the 70 older days"


def _count_list_calls(lister):
    if hasattr(lister, "list_calls"):
        start = lister.list_calls
        return lambda: lister.list_calls - start
    counter = {"n": 0}

    def count(**_):
        counter["n"] += 1

    lister.client.meta.events.register("before-call.s3.ListObjectsV2", count)
    return lambda: counter["n"]


def test_a_tick_over_100k_existing_objects_costs_a_handful_of_lists(s3_store, instance, tmp_path):
    """100,000 objects already in the landing prefixes, 10 new files: 3 LIST requests."""
    store = replace(s3_store, landing_bucket="landing-100k", warehouse_bucket="warehouse-100k")
    ensure_buckets(store, [store.landing_bucket, store.warehouse_bucket])
    settings = make_settings(tmp_path, storage="s3", s3=store)
    client = s3_client(store)
    old_days = [(dt.date(1750, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(33_334)]
    keys = [
        landing_file_path(t, d) for t in ("bookings", "facilities", "members") for d in old_days
    ]
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(
            pool.map(
                lambda k: client.put_object(Bucket=store.landing_bucket, Key=k, Body=b"x"),
                keys[:100_000],
            )
        )
    write_landing(settings, days_in_range("2024-03-01", "2024-03-03"), bookings_per_day=5)
    write_landing(settings, ["2024-03-04"], bookings_per_day=5)
    lister = build_landing_lister(settings)
    landing_view(settings).remove(landing_file_path("members", "2024-03-04"))
    landing_view(settings).remove(landing_file_path("facilities", "2024-03-04"))
    calls = _count_list_calls(lister)

    context = dg.build_sensor_context(instance=instance, cursor=None)
    result = evaluate_landing(context, lister, settings, NOW)

    assert spans(result) == [("2024-03-01", "2024-03-03")]
    assert calls() == 3
