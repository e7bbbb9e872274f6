"""The storage mechanics under the IO manager: per-day folders, range writes, pruned reads."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from adventureworks_orchestration.storage.partitioned_table import (
    PartitionedTable,
    PartitionedTableError,
)

from .conftest import warehouse_view
from .storage import StorageView

DAYS = ["2024-03-01", "2024-03-02", "2024-03-03"]
TABLE = "labs/things"


@pytest.fixture
def root(storage_settings) -> StorageView:
    """The warehouse of this storage; the table lives under ``labs/things``."""
    return warehouse_view(storage_settings)


@pytest.fixture
def table(spark: SparkSession, root: StorageView) -> PartitionedTable:
    return PartitionedTable(spark, f"{root.root_uri}/{TABLE}", "day")


def checksums(root: StorageView) -> dict[str, str]:
    return root.checksums(TABLE)


def rows_for(spark: SparkSession, days: list[str], per_day: int = 3, tag: str = "v1"):
    data = [
        (i, f"{tag}-{day}-{i}", dt.date.fromisoformat(day)) for day in days for i in range(per_day)
    ]
    return spark.createDataFrame(data, "id INT, label STRING, day DATE")


def test_range_write_creates_one_folder_per_day_in_one_job(spark, table, root):
    result = table.write(rows_for(spark, DAYS), DAYS)

    assert [f for f in root.folders(TABLE) if not f.startswith("_")] == [f"day={d}" for d in DAYS]
    assert result.rows_per_day == {day: 3 for day in DAYS}
    assert not root.files(f"{TABLE}/_staging"), "no staging leftovers"
    for day in DAYS:
        data_files = [f for f in root.files(f"{TABLE}/day={day}") if f.startswith("part-")]
        assert len(data_files) == 1, "one file per day"
        header = root.read_text(f"{TABLE}/day={day}/{data_files[0]}").splitlines()[0]
        assert header == "id,label"


def test_round_trip_keeps_types_and_rows(spark, table):
    written = rows_for(spark, DAYS)
    table.write(written, DAYS)

    loaded = table.read(DAYS)

    assert dict(loaded.dtypes) == {"id": "int", "label": "string", "day": "date"}
    assertDataFrameEqual(loaded, written)


def test_rewriting_a_day_replaces_only_that_day(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    untouched = {k: v for k, v in checksums(root).items() if "day=2024-03-02" not in k}

    table.write(rows_for(spark, ["2024-03-02"], per_day=2, tag="v2"), ["2024-03-02"])

    after = checksums(root)
    assert {k: v for k, v in after.items() if "day=2024-03-02" not in k and "_schema" not in k} == {
        k: v for k, v in untouched.items() if "_schema" not in k
    }
    assert sorted(r.label for r in table.read(["2024-03-02"]).collect()) == [
        "v2-2024-03-02-0",
        "v2-2024-03-02-1",
    ]
    assert table.read(["2024-03-01"]).count() == 3


def test_writing_the_same_day_twice_is_idempotent(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    first = table.read().collect()
    table.write(rows_for(spark, DAYS), DAYS)
    assert sorted(table.read().collect()) == sorted(first)


def test_day_with_no_rows_replaces_old_data_with_an_empty_day(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    table.write(rows_for(spark, ["2024-03-01"]), ["2024-03-01", "2024-03-02"])

    assert table.read(["2024-03-02"]).count() == 0
    assert table.stored_days() == DAYS


def test_rows_outside_the_written_days_fail_and_publish_nothing(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    before = checksums(root)

    with pytest.raises(PartitionedTableError, match="outside the days being written"):
        table.write(rows_for(spark, ["2024-03-01", "2024-03-05"]), ["2024-03-01"])

    assert checksums(root) == before
    assert table.stored_days() == DAYS


def test_failed_write_leaves_no_half_written_day(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    before = checksums(root)
    exploding = rows_for(spark, DAYS, tag="v2").withColumn(
        "label", F.when(F.col("id") == 2, F.raise_error(F.lit("boom"))).otherwise(F.col("label"))
    )

    with pytest.raises(Exception, match="boom"):
        table.write(exploding, DAYS)

    assert checksums(root) == before
    assert not [k for k in checksums(root) if k.startswith("_staging")], "staging cleaned up"


def test_read_touches_only_the_requested_days(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    root.write_text(f"{TABLE}/day=2024-03-03/part-poison.csv", "id,label\nnot-a-number,x\n")
    strict = spark.read.schema(table.schema()).option("header", "true").option("mode", "FAILFAST")
    with pytest.raises(Exception, match="(?i)malformed"):
        strict.option("basePath", table.root).csv(table.day_path("2024-03-03")).collect()

    one_day = table.read(["2024-03-02"])

    assert {r.day.isoformat() for r in one_day.collect()} == {"2024-03-02"}
    assert all("2024-03-03" not in f for f in one_day.inputFiles())


def test_reading_days_never_written_names_them(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    with pytest.raises(PartitionedTableError, match="2024-03-09") as error:
        table.read(["2024-03-01", "2024-03-09"])
    assert table.root in str(error.value)


def test_reading_a_table_never_written_says_so(table):
    with pytest.raises(PartitionedTableError, match="no stored days"):
        table.read()


def test_rows_per_day_are_exact_over_a_long_range_with_gaps(spark, table):
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(120)]
    rows = [
        (n, "x", dt.date.fromisoformat(day))
        for i, day in enumerate(days)
        if i % 7
        for n in range(i)
    ]
    result = table.write(spark.createDataFrame(rows, "id INT, label STRING, day DATE"), days)

    assert result.rows_per_day == {day: (i if i % 7 else 0) for i, day in enumerate(days)}
    assert result.total_rows == len(rows)


def test_a_corrupted_stored_file_fails_the_read_naming_it(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    root.write_text(f"{TABLE}/day=2024-03-02/part-corrupt.csv", "id,label\nnot-a-number,x\n")

    with pytest.raises(Exception, match=r"part-corrupt\.csv"):
        table.read(["2024-03-02"]).collect()
