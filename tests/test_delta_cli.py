"""``awo demo --format delta``, then ``awo history`` and ``awo restore`` after a bad run."""

from __future__ import annotations

import pytest

from adventureworks_orchestration.cli import main
from adventureworks_orchestration.storage.delta_table import DeltaDayTable
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable

from .table_helpers import DAYS, rows_for

ASSET = "labs/transformed/bookings"


def _awo(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_as_delta_then_history_and_restore_after_a_bad_run(
    tmp_path, monkeypatch, capsys, spark
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AWO_PARTITIONS_START", raising=False)
    monkeypatch.delenv("AWO_TABLE_FORMAT", raising=False)
    data = str(tmp_path / "data")
    demo = ["--data-dir", data, "demo", "--days", "2", "--bookings-per-day", "60"]

    code, out, err = _awo(capsys, *demo, "--format", "delta")
    assert code == 0, out + err
    warehouse = tmp_path / "data" / "warehouse"
    assert all((warehouse / "labs" / layer).is_dir() for layer in ("source", "reports"))
    assert sorted(p.parent.name for p in warehouse.glob("labs/*/*/_delta_log")) == sorted(
        ["bookings", "facilities", "members"] * 2 + ["bookings_per_member", "revenue_per_facility"]
    ), "every asset is a Delta table"
    table = DeltaDayTable(spark, (warehouse / ASSET).as_uri(), "booking_date")
    good = sorted(table.read(version=1).collect())

    # a bad run: the second day's landing files replaced by other data, that day run again
    code, _, err = _awo(capsys, *demo[:2], "generate", "--days", "2", "--seed", "7", "--overwrite")
    assert code == 0, err
    code, out, err = _awo(
        capsys, "--data-dir", data, "backfill", "2024-01-02", "2024-01-02", "--format", "delta"
    )
    assert code == 0, out + err
    assert sorted(table.read().collect()) != good

    code, out, err = _awo(capsys, "--data-dir", data, "history", ASSET)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"{ASSET}: Delta table at ") and "3 version(s)" in lines[0]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {"0", "1", "2"}
    assert "WRITE" in rows["1"] and "2024-01-01..2024-01-02 (2)" in rows["1"]
    assert "2024-01-02..2024-01-02 (1)" in rows["2"]
    runs = [table.history()[i].run_id for i in (0, 1)]
    assert runs[0] != runs[1] and all(run[:8] in out for run in runs), "which run wrote it"

    code, out, err = _awo(capsys, "--data-dir", data, "restore", ASSET, "--version", "1")
    assert code == 0, err
    assert "restored version 1 as version 3" in out
    assert sorted(table.read().collect()) == good
    code, out, _ = _awo(capsys, "--data-dir", data, "history", ASSET, "--limit", "1")
    assert "RESTORE" in out and "restored version 1" in out


def test_history_of_a_csv_table_no_table_and_a_bad_time_are_one_line_each(
    tmp_path, monkeypatch, capsys, spark
):
    monkeypatch.setenv("AWO_TABLE_FORMAT", "delta")  # the stored format decides, not this
    data = str(tmp_path / "data")

    code, _, err = _awo(capsys, "--data-dir", data, "history", ASSET)
    assert code == 2 and "has no table at" in err and len(err.strip().splitlines()) == 1

    root = (tmp_path / "data" / "warehouse" / ASSET).as_uri()
    PartitionedTable(spark, root, "day").write(rows_for(spark, DAYS), DAYS)
    code, _, err = _awo(capsys, "--data-dir", data, "history", ASSET)
    assert code == 2 and "is stored as CSV" in err and len(err.strip().splitlines()) == 1

    code, _, err = _awo(capsys, "--data-dir", data, "restore", ASSET, "--before", "yesterday")
    assert code == 2 and "is not a time like" in err

    code, _, err = _awo(capsys, "--data-dir", data, "history", "labs/transformed/booking")
    assert code == 2 and "did you mean labs/transformed/bookings?" in err


@pytest.mark.parametrize("command", ["demo", "backfill"])
def test_format_option_is_refused_outside_csv_and_delta(capsys, command):
    args = ["2024-01-01", "2024-01-01"] if command == "backfill" else []
    code, _, err = _awo(capsys, command, *args, "--format", "parquet")
    assert code == 2 and "invalid choice: 'parquet'" in err
