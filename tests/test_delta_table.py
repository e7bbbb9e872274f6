"""The Delta table format under the IO manager: a range of days in one commit, replaceWhere on
exactly those days, refusals, pruned reads, idempotent retries, history and restore. What depends on
the storage runs on a local folder and on the SeaweedFS server, the rest on a local folder."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from adventureworks_orchestration.storage.delta_table import DeltaDayTable, DeltaOptions
from adventureworks_orchestration.storage.errors import (
    PartitionedTableError,
    SchemaChangeError,
    StorageError,
    TableFormatError,
)
from adventureworks_orchestration.storage.partitioned_table import PartitionedTable
from adventureworks_orchestration.storage.table_formats import open_table

from .conftest import warehouse_view
from .storage import StorageView
from .table_helpers import DAYS, rows_for, spread_over_partitions

TABLE = "labs/things"


@pytest.fixture
def root(storage_settings) -> StorageView:
    return warehouse_view(storage_settings)


@pytest.fixture
def table(spark, root: StorageView) -> DeltaDayTable:
    return DeltaDayTable(spark, f"{root.root_uri}/{TABLE}", "day")


# Behaviour that does not depend on the storage (Delta's checks, the commit log, the write's own
# logic) is tested on a local folder only; what differs on S3 (the write lease around every
# commit, object listings and deletes, s3a paths in plans and history) on both.
@pytest.fixture
def local_root(settings) -> StorageView:
    return warehouse_view(settings)


@pytest.fixture
def local_table(spark, local_root: StorageView) -> DeltaDayTable:
    return DeltaDayTable(spark, f"{local_root.root_uri}/{TABLE}", "day")


def labels(table: DeltaDayTable, days=None, version=None) -> dict[str, list[str]]:
    """Per day, the sorted labels a fresh reader of the table sees."""
    reader = DeltaDayTable(table.spark, table.root, table.partition_column)
    found: dict[str, list[str]] = {}
    for row in reader.read(days, version=version).collect():
        found.setdefault(row.day.isoformat(), []).append(row.label)
    return {day: sorted(names) for day, names in sorted(found.items())}


def data_files(root: StorageView) -> dict[str, str]:
    """Every Parquet file of the table (path -> sha256), commit log excluded."""
    return {k: v for k, v in root.checksums(TABLE).items() if k.endswith(".parquet")}


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)  # counting, not storage
def test_rows_per_day_are_exact_for_a_year_whose_rows_arrive_in_many_partitions(spark, table):
    year = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(365)]
    frame, expected = spread_over_partitions(spark, year, per_day=20, partitions=8)

    result = table.write(frame, year)

    assert result.rows_per_day == expected


def test_range_write_is_one_commit_with_a_folder_per_day(spark, table, root):
    result = table.write(rows_for(spark, DAYS), DAYS, run_id="run-1")

    assert result.version == 1, "version 0 creates the empty table, version 1 holds the days"
    assert result.rows_per_day == {day: 3 for day in DAYS}
    assert result.files_added == len(data_files(root)) == len(DAYS), "one file per day"
    assert result.files_removed == 0
    assert [f for f in root.folders(TABLE) if not f.startswith("_")] == [f"day={d}" for d in DAYS]
    commits = [f for f in root.files(f"{TABLE}/_delta_log") if f.endswith(".json")]
    assert commits == [f"{0:020d}.json", f"{1:020d}.json"]
    (newest,) = table.history(1)
    assert (newest.operation, newest.run_id, newest.rows) == ("WRITE", "run-1", 9)
    assert (newest.first_day, newest.last_day, newest.days) == (DAYS[0], DAYS[-1], 3)


def test_round_trip_keeps_types_and_rows(spark, local_table):
    written = rows_for(spark, DAYS)
    local_table.write(written, DAYS)

    loaded = local_table.read(DAYS)

    assert dict(loaded.dtypes) == {"id": "int", "label": "string", "day": "date"}
    assertDataFrameEqual(loaded, written)


def test_replacing_days_keeps_other_days_and_the_older_versions(spark, table, root):
    first = table.write(rows_for(spark, DAYS), DAYS)
    before = data_files(root)

    second = table.write(rows_for(spark, ["2024-03-02"], per_day=2, tag="v2"), ["2024-03-02"])

    after = data_files(root)
    assert {k: v for k, v in before.items() if "day=2024-03-02" not in k}.items() <= after.items()
    assert labels(table)["2024-03-02"] == ["v2-2024-03-02-0", "v2-2024-03-02-1"]
    assert labels(table)["2024-03-01"] == [f"v1-2024-03-01-{i}" for i in range(3)]
    assert (second.files_removed, second.rows_per_day) == (1, {"2024-03-02": 2})
    assert labels(table, version=first.version) == {
        day: [f"v1-{day}-{i}" for i in range(3)] for day in DAYS
    }, "the previous version still reads as it was (time travel)"


def test_writing_the_same_days_twice_gives_the_same_rows(spark, local_table):
    local_table.write(rows_for(spark, DAYS), DAYS)
    first = labels(local_table)
    local_table.write(rows_for(spark, DAYS), DAYS)
    assert labels(local_table) == first


def test_a_day_with_no_rows_replaces_old_data_with_an_empty_day(spark, local_table):
    local_table.write(rows_for(spark, DAYS), DAYS)

    result = local_table.write(rows_for(spark, ["2024-03-01"]), ["2024-03-01", "2024-03-02"])

    assert result.rows_per_day == {"2024-03-01": 3, "2024-03-02": 0}
    assert local_table.read(["2024-03-02"]).count() == 0
    assert local_table.stored_days() == ["2024-03-01", "2024-03-03"]


@pytest.mark.parametrize(
    ("bad_day", "said"), [("2024-03-05", "a row dated 2024-03-05"), (None, "without a day")]
)
@pytest.mark.parametrize("new_table", [True, False], ids=["first-write", "later-write"])
def test_rows_outside_the_written_days_are_refused_and_nothing_is_committed(
    spark, local_table, local_root, bad_day, said, new_table
):
    if not new_table:
        local_table.write(rows_for(spark, DAYS), DAYS)
    before = (data_files(local_root), local_table.version() if local_table.exists() else None)
    stray = spark.createDataFrame(
        [(7, "stray", dt.date.fromisoformat(bad_day) if bad_day else None)],
        "id INT, label STRING, day DATE",
    )

    with pytest.raises(PartitionedTableError, match="outside the days being written") as error:
        local_table.write(rows_for(spark, ["2024-03-01"]).unionByName(stray), ["2024-03-01"])

    assert said in str(error.value) and local_table.name in str(error.value)
    after_version = local_table.version() if not new_table else None
    if new_table:
        assert local_table.read().count() == 0, "the new local_table holds no rows at all"
    else:
        assert after_version == before[1], "no version was committed"
        assert labels(local_table) == {day: [f"v1-{day}-{i}" for i in range(3)] for day in DAYS}


def test_reading_one_day_prunes_the_other_days_files(spark, table, root, capsys):
    table.write(rows_for(spark, DAYS), DAYS)

    one_day = table.read(["2024-03-02"])
    one_day.explain("formatted")
    plan = capsys.readouterr().out

    assert "PartitionFilters: [isnotnull(day" in plan and "2024-03-02" in plan, plan
    assert one_day.inputFiles() and all("/day=2024-03-02/" in f for f in one_day.inputFiles())
    for day in ("2024-03-01", "2024-03-03"):  # the other days' files vanish behind Delta's back
        for name in root.files(f"{TABLE}/day={day}"):
            root.remove(f"{TABLE}/day={day}/{name}")
    fresh = DeltaDayTable(spark, table.root, "day")
    assert sorted(r.label for r in fresh.read(["2024-03-02"]).collect()) == [
        f"v1-2024-03-02-{i}" for i in range(3)
    ], "reading the day never opened the others"
    with pytest.raises(Exception, match="(?i)not.*found|does not exist|FileNotFound"):
        fresh.read().collect()  # whereas reading every day does open them


def test_an_unpartitioned_reader_gets_every_day(spark, local_table):
    local_table.write(rows_for(spark, DAYS), DAYS)
    assert local_table.read().count() == 9
    assert local_table.stored_days() == DAYS


def test_a_retried_write_of_the_same_run_is_a_no_op(spark, local_table, local_root):
    first = local_table.write(rows_for(spark, DAYS), DAYS, run_id="r1", txn_app_id="dagster-run:r1")
    files = data_files(local_root)

    retry = local_table.write(
        rows_for(spark, DAYS, tag="v2"), DAYS, run_id="r2", txn_app_id="dagster-run:r1"
    )

    assert retry.skipped and retry.version == first.version
    assert retry.rows_per_day == first.rows_per_day
    assert local_table.version() == first.version, "no new version"
    assert data_files(local_root) == files, "no file written"
    assert {tags[0][:2] for tags in labels(local_table).values()} == {"v1"}
    other = local_table.write(rows_for(spark, DAYS, tag="v3"), DAYS, txn_app_id="dagster-run:r3")
    assert not other.skipped and other.version == first.version + 1, "another run does write"


def test_a_new_column_reads_as_null_on_older_days_and_a_new_type_is_refused(spark, local_table):
    local_table.write(rows_for(spark, DAYS), DAYS)
    wider = rows_for(spark, ["2024-03-02"], tag="v2").withColumn("extra", F.lit("x"))
    local_table.write(wider, ["2024-03-02"])

    rows = {r.day.isoformat(): r.extra for r in local_table.read().collect()}
    assert rows == {"2024-03-01": None, "2024-03-02": "x", "2024-03-03": None}

    version = local_table.version()
    retyped = rows_for(spark, ["2024-03-03"]).withColumn("id", F.lit("not a number"))
    with pytest.raises(SchemaChangeError, match="labs/things|things"):
        local_table.write(retyped, ["2024-03-03"])
    assert local_table.version() == version


def test_restore_after_a_bad_run_by_version_and_by_time(spark, table):
    good = table.write(rows_for(spark, DAYS), DAYS, run_id="good")
    bad = table.write(rows_for(spark, DAYS[1:], per_day=1, tag="bad"), DAYS[1:], run_id="bad")
    assert labels(table)["2024-03-02"] == ["bad-2024-03-02-0"]

    restored = table.restore(version=good.version)

    assert (restored.restored_version, restored.version) == (good.version, bad.version + 1)
    assert labels(table) == {day: [f"v1-{day}-{i}" for i in range(3)] for day in DAYS}
    newest = table.history(1)[0]
    assert (newest.operation, newest.restored_version) == ("RESTORE", good.version)

    table.write(rows_for(spark, DAYS, per_day=1, tag="bad2"), DAYS, run_id="bad2")
    bad_at = table.history(1)[0].timestamp
    again = table.restore(before=bad_at)
    assert again.restored_version == restored.version
    assert labels(table) == {day: [f"v1-{day}-{i}" for i in range(3)] for day in DAYS}


def test_restore_to_a_version_whose_files_were_vacuumed_says_so(spark, local_table, monkeypatch):
    first = local_table.write(rows_for(spark, DAYS), DAYS)
    local_table.write(rows_for(spark, DAYS, tag="v2"), DAYS)
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    try:
        local_table.vacuum(0)
    finally:
        spark.conf.unset("spark.databricks.delta.retentionDurationCheck.enabled")

    with pytest.raises(StorageError, match="VACUUM"):
        local_table.restore(version=first.version)
    assert {tags[0][:2] for tags in labels(local_table).values()} == {"v2"}


def test_a_folder_of_the_other_format_is_refused(spark, local_root):
    csv_root, delta_root = f"{local_root.root_uri}/labs/csv", f"{local_root.root_uri}/labs/delta"
    PartitionedTable(spark, csv_root, "day").write(rows_for(spark, DAYS), DAYS)
    DeltaDayTable(spark, delta_root, "day").write(rows_for(spark, DAYS), DAYS)

    with pytest.raises(TableFormatError, match="stored as CSV"):
        open_table(spark, csv_root, "day", "delta", name="labs/csv")
    with pytest.raises(TableFormatError, match="stored as DELTA"):
        open_table(spark, delta_root, "day", "csv", name="labs/delta")
    assert isinstance(open_table(spark, delta_root, "day", "delta", name="d"), DeltaDayTable)


def test_reading_a_table_never_written_says_so(local_table):
    with pytest.raises(PartitionedTableError, match="no stored days"):
        local_table.read()


def test_every_written_day_is_one_file_so_optimize_finds_nothing_to_compact(
    spark, local_table, local_root
):
    days = [f"2024-03-{d:02d}" for d in range(1, 21)]
    scattered = rows_for(spark, days, per_day=8).repartition(8)  # each day in every partition

    result = local_table.write(scattered, days)

    per_day = [name.split("/")[0] for name in data_files(local_root)]
    assert sorted(per_day) == [f"day={day}" for day in days] and result.files_added == 20
    compaction = (
        local_table._delta()
        .optimize()
        .where(f"day >= '{days[0]}' AND day <= '{days[-1]}'")
        .executeCompaction()
        .first()["metrics"]
    )
    assert (compaction["numFilesAdded"], compaction["numFilesRemoved"]) == (0, 0)


def test_vacuum_runs_after_a_write_only_when_configured(spark, root):
    keep = DeltaDayTable(spark, f"{root.root_uri}/labs/keep", "day")
    keep.write(rows_for(spark, DAYS), DAYS)
    keep.write(rows_for(spark, DAYS, tag="v2"), DAYS)
    assert labels(keep, version=1)["2024-03-01"][0].startswith("v1"), "default: no VACUUM"

    options = DeltaOptions(vacuum_after_write=True, vacuum_retain_hours=0)
    swept = DeltaDayTable(spark, f"{root.root_uri}/labs/swept", "day", options=options)
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    try:
        swept.write(rows_for(spark, DAYS), DAYS)
        swept.write(rows_for(spark, DAYS, tag="v2"), DAYS)
    finally:
        spark.conf.unset("spark.databricks.delta.retentionDurationCheck.enabled")

    def parquet(table: str) -> int:
        return sum(name.endswith(".parquet") for name in root.checksums(table))

    assert (parquet("labs/keep"), parquet("labs/swept")) == (2 * len(DAYS), len(DAYS))
    assert {n.split("-")[0] for names in labels(swept).values() for n in names} == {"v2"}
    with pytest.raises(Exception, match="(?i)not.*found|does not exist|FileNotFound"):
        swept.read(version=1).collect()  # the replaced files are gone: no time travel to them
