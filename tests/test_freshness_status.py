"""``awo status``: its table and exit code when everything is on time, when a day is late, and
when a check fails (judged at ``--at``; the instance is the project's Dagster home)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from adventureworks_orchestration.cli import main
from adventureworks_orchestration.dagster_home import ensure_dagster_home
from adventureworks_orchestration.landing.paths import LANDING_TABLES, landing_file_path

DAYS = ("2024-03-18", "2024-03-19")
AT = "2024-03-20T07:00"  # both days due: landing at 02:00, tables at 06:00
ASSETS = [
    *(f"labs/source/{t}" for t in LANDING_TABLES),
    "labs/transformed/bookings",
    "labs/transformed/facilities",
    "labs/transformed/members",
    "labs/reports/bookings_per_member",
    "labs/reports/revenue_per_facility",
]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AWO_PARTITIONS_START", DAYS[0])
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for table in LANDING_TABLES:
        for day in DAYS:
            path = tmp_path / "data" / "landing" / landing_file_path(table, day)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("header\n")
    with dg.DagsterInstance.from_config(str(ensure_dagster_home(tmp_path / "home"))) as instance:
        yield tmp_path, instance


def _written(instance, asset, days=DAYS):
    for day in days:
        key = dg.AssetKey.from_user_string(asset)
        instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day))


def _status(tmp_path, capsys) -> tuple[int, dict[str, str], str]:
    code = main(["--data-dir", str(tmp_path / "data"), "status", "--at", AT])
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("labs/")}
    return code, rows, out


def test_on_time_exits_0_and_a_late_day_or_a_failing_check_exits_1(home, capsys):
    tmp_path, instance = home
    for asset in ASSETS:
        _written(instance, asset)
    code, rows, out = _status(tmp_path, capsys)
    assert code == 0, out
    assert "all on time, no failing check" in out and sorted(rows) == sorted(ASSETS)
    assert all("2024-03-19" in rows[a] and "on time" in rows[a] for a in ASSETS), out

    (tmp_path / "data/landing" / landing_file_path("members", DAYS[1])).unlink()
    code, rows, out = _status(tmp_path, capsys)
    assert code == 1, out
    assert (
        "LATE 1 members landing file(s) from 2024-03-19, 5h 0m past deadline"
        in rows["labs/source/members"]
    )
    assert "1 asset(s) late or failing" in out


def test_a_report_missing_its_last_day_and_a_failed_check_are_shown(home, capsys):
    tmp_path, instance = home
    for asset in ASSETS:
        _written(
            instance, asset, DAYS if asset != "labs/reports/revenue_per_facility" else DAYS[:1]
        )
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            dg.AssetKey.from_user_string("labs/source/bookings"), "landing_ingestion", passed=False
        )
    )
    code, rows, out = _status(tmp_path, capsys)
    assert code == 1, out
    report = rows["labs/reports/revenue_per_facility"]
    assert "2024-03-18" in report and "LATE 1 day(s) from 2024-03-19, 1h 0m past deadline" in report
    bookings = rows["labs/source/bookings"].split()
    assert bookings[-2:] == ["landing_ingestion", "0"], "a failing check, then 0 quarantined"
    assert "2 asset(s) late or failing" in out


def test_a_check_failed_at_warn_severity_is_shown_and_does_not_exit_1(home, capsys):
    tmp_path, instance = home
    for asset in ASSETS:
        _written(instance, asset)
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            dg.AssetKey.from_user_string("labs/source/bookings"),
            "row_count_in_band",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
        )
    )
    code, rows, out = _status(tmp_path, capsys)
    assert code == 0, out
    assert "row_count_in_band (warn)" in rows["labs/source/bookings"]
    assert "all on time, no failing check; 1 check(s) warning" in out


def test_the_rows_quarantined_in_the_last_days_are_shown_per_source_table(home, capsys, spark):
    from adventureworks_orchestration.landing.quarantine import write_quarantine
    from adventureworks_orchestration.storage.partitioned_table import TableOptions

    tmp_path, instance = home
    for asset in ASSETS:
        _written(instance, asset)
    rejected = spark.createDataFrame(
        [(dt.date(2024, 3, 19), "bookings/bookings/2024-03-19.csv", n, n, "slots", "bad", "x")
         for n in (2, 5)],
        "landing_date DATE, source_file STRING, line INT, last_line INT, reason_code STRING, "
        "reason STRING, raw STRING",
    )  # fmt: skip
    warehouse = (tmp_path / "data" / "warehouse").as_uri()
    write_quarantine(rejected, warehouse, "bookings", ["2024-03-19"], TableOptions())
    _, rows, out = _status(tmp_path, capsys)
    (header,) = [line for line in out.splitlines() if line.startswith("asset ")]
    column = header.index("quarantined")  # the last column; each row's count starts under it
    assert header.endswith("  quarantined"), out
    for asset, shown in (
        ("labs/source/bookings", "2"),
        ("labs/source/members", "0"),
        ("labs/reports/revenue_per_facility", "-"),
    ):
        assert rows[asset][column:] == shown, out
