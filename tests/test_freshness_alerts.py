"""The alert sensor against a real HTTP receiver on 127.0.0.1: a run failure, a failed check and
each late day arrive once as JSON; a check that passes and fails again is sent again; a receiver
that is down gets the alert on a later tick; with no URL the alert is a line in the tick's log."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from adventureworks_orchestration.checks.webhook import post_json
from adventureworks_orchestration.sensors.alert_sensor import evaluate_alerts

from .sensor_helpers import LogLines

REPORT = dg.AssetKey(["labs", "reports", "revenue_per_facility"])
FRESHNESS = dg.AssetCheckKey(REPORT, "freshness")
ROWS = dg.AssetCheckKey(REPORT, "row_count_band")  # stands for any other check
CHECKS = [FRESHNESS, ROWS]


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                if receiver.status == 200:
                    receiver.bodies.append(body)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[tuple[str, str]]:
        found = [(b["kind"], b["id"]) for b in self.bodies]
        self.bodies.clear()
        return sorted(found)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


class AlertSensor:
    def __init__(self, instance, url: str | None):
        self.instance, self.url, self.cursor = instance, url, None

    def tick(self) -> list[str]:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        lines = LogLines()
        context.log.addHandler(lines)
        send = (lambda payload: post_json(self.url, payload, timeout=5)) if self.url else None
        self.cursor = evaluate_alerts(context, CHECKS, send).cursor
        return lines.lines


def _fail_a_run(instance) -> str:
    @dg.asset
    def boom():
        raise RuntimeError("storage unreachable")

    result = dg.materialize([boom], instance=instance, raise_on_error=False)
    assert not result.success
    return result.run_id


def _check(instance, key, passed, **metadata):
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            key.asset_key, key.name, passed=passed, metadata=metadata, description="why"
        )
    )


def test_each_problem_is_sent_once_as_json_and_again_only_after_it_closed(instance, receiver):
    old_run = _fail_a_run(instance)
    sensor = AlertSensor(instance, receiver.url)
    sensor.tick()
    assert receiver.take() == [], "failures before the sensor's first tick are not sent"

    run_id = _fail_a_run(instance)
    _check(instance, ROWS, passed=False)
    late = {"2024-03-18": "2024-03-19 06:00 UTC", "2024-03-19": "2024-03-20 06:00 UTC"}
    _check(instance, FRESHNESS, passed=False, late_days=late)
    sensor.tick()
    assert receiver.take() == [
        ("check_failed", "check:labs/reports/revenue_per_facility:row_count_band"),
        ("late_day", "late:labs/reports/revenue_per_facility:freshness:2024-03-18"),
        ("late_day", "late:labs/reports/revenue_per_facility:freshness:2024-03-19"),
        ("run_failure", f"run:{run_id}"),
    ]
    assert old_run != run_id

    _check(instance, ROWS, passed=False)  # evaluated again, still failing
    _check(instance, FRESHNESS, passed=False, late_days={**late, "2024-03-20": "x"})
    sensor.tick()
    assert receiver.take() == [
        ("late_day", "late:labs/reports/revenue_per_facility:freshness:2024-03-20")
    ], "only the new late day"

    _check(instance, ROWS, passed=True)
    sensor.tick()
    _check(instance, ROWS, passed=False)
    sensor.tick()
    assert receiver.take() == [
        ("check_failed", "check:labs/reports/revenue_per_facility:row_count_band")
    ], "failed again after passing: a new problem"


def test_a_check_failing_for_another_day_while_still_failing_is_a_new_alert(instance, receiver):
    """A failed check is one problem per failing day (its ``failing_days`` metadata): a second
    bad day while the check is still red is sent, an unchanged result is not sent again."""
    sensor = AlertSensor(instance, receiver.url)
    sensor.tick()
    _check(instance, ROWS, passed=False, failing_days="2024-03-18", **{"day 2024-03-18": "3 rows"})
    sensor.tick()
    _check(instance, ROWS, passed=False, failing_days="2024-03-19", **{"day 2024-03-19": "4 rows"})
    sensor.tick()
    _check(instance, ROWS, passed=False, failing_days="2024-03-19", **{"day 2024-03-19": "4 rows"})
    sensor.tick()

    check = "check:labs/reports/revenue_per_facility:row_count_band"
    assert [b["id"] for b in receiver.bodies] == [f"{check}:2024-03-18", f"{check}:2024-03-19"]
    what = "check row_count_band on labs/reports/revenue_per_facility failed for"
    assert [(b["summary"], b["day"]) for b in receiver.bodies] == [
        (f"{what} 2024-03-18: 3 rows", "2024-03-18"),
        (f"{what} 2024-03-19: 4 rows", "2024-03-19"),
    ]


def test_the_body_says_what_failed(instance, receiver):
    sensor = AlertSensor(instance, receiver.url)
    sensor.tick()
    run_id = _fail_a_run(instance)
    sensor.tick()
    (body,) = receiver.bodies
    assert body["source"] == "adventureworks-orchestration" and body["run_id"] == run_id
    assert body["kind"] == "run_failure" and run_id in body["summary"]


def test_a_receiver_that_is_down_gets_the_alerts_on_a_later_tick(instance, receiver):
    sensor = AlertSensor(instance, receiver.url)
    sensor.tick()
    receiver.status = 503
    run_id = _fail_a_run(instance)
    _check(instance, ROWS, passed=False)
    lines = sensor.tick()
    assert any("answered 503" in line for line in lines), lines
    receiver.status = 200
    sensor.tick()
    assert receiver.take() == [
        ("check_failed", "check:labs/reports/revenue_per_facility:row_count_band"),
        ("run_failure", f"run:{run_id}"),
    ]
    sensor.tick()
    assert receiver.take() == []


def test_without_a_url_alerts_go_to_the_log_once(instance):
    sensor = AlertSensor(instance, None)
    sensor.tick()
    _check(instance, ROWS, passed=False)
    alerts = [line for line in sensor.tick() if line.startswith("ALERT ")]
    assert len(alerts) == 1 and json.loads(alerts[0][6:])["kind"] == "check_failed"
    assert not [line for line in sensor.tick() if line.startswith("ALERT ")]
