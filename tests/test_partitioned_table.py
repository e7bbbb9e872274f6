"""The storage mechanics under the IO manager: per-day folders, range writes, pruned reads,
per-day columns. Every test runs on a local folder and on the SeaweedFS server."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from adventureworks_orchestration.storage.day_counts import DayCounter
from adventureworks_orchestration.storage.errors import (
    LegacyLayoutError,
    MissingWrittenFilesError,
    PartitionedTableError,
    SchemaChangeError,
)
from adventureworks_orchestration.storage.layout import LEASE_KEY
from adventureworks_orchestration.storage.partitioned_table import (
    COMMITTER_ALGORITHM,
    PartitionedTable,
    TableOptions,
    committer_options,
)

from .conftest import warehouse_view
from .storage import StorageView
from .table_helpers import DAYS, folders_on_disk, leftovers, rows_for, spread_over_partitions

TABLE = "labs/things"
IMMEDIATE = TableOptions(keep_replaced=dt.timedelta(0))


@pytest.fixture
def root(storage_settings) -> StorageView:
    """The warehouse of this storage; the table lives under ``labs/things``."""
    return warehouse_view(storage_settings)


@pytest.fixture
def table(spark: SparkSession, root: StorageView) -> PartitionedTable:
    return PartitionedTable(spark, f"{root.root_uri}/{TABLE}", "day", options=IMMEDIATE)


def test_range_write_creates_one_folder_per_day_in_one_job(spark, table, root):
    result = table.write(rows_for(spark, DAYS), DAYS, run_id="run-1")

    assert [f for f in root.folders(TABLE) if not f.startswith("_")] == [f"day={d}" for d in DAYS]
    assert result.rows_per_day == {day: 3 for day in DAYS}
    assert result.version == 1
    for day in DAYS:
        assert root.folders(f"{TABLE}/day={day}") == [f"write={result.write_id}"]
        folder = f"{TABLE}/day={day}/write={result.write_id}"
        data_files = [f for f in root.files(folder) if f.startswith("part-")]
        assert len(data_files) == 1, "one file per day"
        assert root.read_text(f"{folder}/{data_files[0]}").splitlines()[0] == "id,label"
    assert leftovers(table) == [], "no lease, no Spark _temporary, nothing unaccounted for"
    assert not root.exists(f"{TABLE}/{LEASE_KEY}")
    manifest = json.loads(root.read_text(f"{TABLE}/_table/manifests/{1:020d}.json"))
    assert manifest["last_write"]["run_id"] == "run-1"
    assert manifest["days"]["2024-03-02"]["rows"] == 3


def test_round_trip_keeps_types_and_rows(spark, table):
    written = rows_for(spark, DAYS)
    table.write(written, DAYS)

    loaded = table.read(DAYS)

    assert dict(loaded.dtypes) == {"id": "int", "label": "string", "day": "date"}
    assertDataFrameEqual(loaded, written)


def test_rewriting_a_day_replaces_only_that_day(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    untouched = {k: v for k, v in root.checksums(TABLE).items() if k.startswith("day=2024-03-0")}
    untouched = {k: v for k, v in untouched.items() if "day=2024-03-02" not in k}

    table.write(rows_for(spark, ["2024-03-02"], per_day=2, tag="v2"), ["2024-03-02"])

    after = root.checksums(TABLE)
    assert untouched and all(after[k] == v for k, v in untouched.items())
    assert sorted(r.label for r in table.read(["2024-03-02"]).collect()) == [
        "v2-2024-03-02-0",
        "v2-2024-03-02-1",
    ]
    assert table.read(["2024-03-01"]).count() == 3
    assert leftovers(table) == [], "the replaced day's old files are gone"


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


def test_a_single_day_with_no_rows_at_all_is_an_empty_day(spark, table):
    """Spark reports no metrics for a job that ran no task; that is zero rows, not an error."""
    empty = spark.createDataFrame([], "id INT, label STRING, day DATE")

    result = table.write(empty, ["2024-03-04"])

    assert result.rows_per_day == {"2024-03-04": 0}
    assert table.read(["2024-03-04"]).count() == 0
    columns = dict(table.read(["2024-03-04"]).dtypes)
    assert columns == {"id": "int", "label": "string", "day": "date"}


def _spark_jobs_of(spark: SparkSession, action) -> list[int]:
    """The Spark jobs ``action`` ran from this thread (in a job group of its own).

    Spark's status store hears of jobs through its listener bus, later and in order: once a job
    started AFTER the action (a sentinel, in another group) is listed, every job of the action
    is too."""
    context, tracker = spark.sparkContext, spark.sparkContext.statusTracker()
    group, sentinel = f"probe-{uuid.uuid4().hex}", f"sentinel-{uuid.uuid4().hex}"
    names = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")
    saved = {name: context.getLocalProperty(name) for name in names}
    context.setJobGroup(group, "counting the jobs of one call")
    try:
        action()
        context.setJobGroup(sentinel, "after the call")
        context.parallelize([1], 1).count()
        deadline = time.monotonic() + 60
        while not tracker.getJobIdsForGroup(sentinel) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tracker.getJobIdsForGroup(sentinel), "the status store never listed the sentinel"
    finally:
        for name, value in saved.items():
            context.setLocalProperty(name, value)
    return list(tracker.getJobIdsForGroup(group))


def test_an_empty_write_replaces_days_without_a_spark_job_and_leaves_the_others(spark, table):
    """``write_empty`` (a quarantine with nothing in it): the days are published empty, with the
    whole publish (a new version, the days' old files no longer read) but no Spark job."""
    schema = rows_for(spark, DAYS).schema
    assert _spark_jobs_of(spark, lambda: table.write(rows_for(spark, DAYS), DAYS)), "the probe"
    before = table.manifest().version

    results = []
    jobs = _spark_jobs_of(
        spark, lambda: results.append(table.write_empty(DAYS[1:], schema, run_id="r"))
    )

    assert jobs == []
    assert results[0].rows_per_day == {DAYS[1]: 0, DAYS[2]: 0}
    assert table.manifest().version == results[0].version == before + 1
    assert table.read(DAYS[1:]).count() == 0 and table.read([DAYS[0]]).count() == 3
    assert dict(table.read(DAYS[1:]).dtypes) == {"id": "int", "label": "string", "day": "date"}
    assert leftovers(table) == []


@pytest.mark.parametrize("day", ["2024-02-30", "20240301", "2024-W09-5", "2024-3-1"])
def test_an_empty_write_and_a_write_refuse_what_is_not_a_day(spark, table, day):
    rows = rows_for(spark, DAYS)
    with pytest.raises(PartitionedTableError, match="is not a day"):
        table.write_empty([day], rows.schema)
    with pytest.raises(PartitionedTableError, match="is not a day"):
        table.write(rows, [day])
    assert table.stored_days() == [], "nothing was published"


def test_an_empty_write_refuses_the_columns_a_write_refuses(spark, table):
    rows = rows_for(spark, DAYS)
    for bad, why in (
        (rows.drop("day"), "no column 'day'"),
        (rows.withColumn("write", F.lit("x")), "reserves for its write folders"),
    ):
        with pytest.raises(PartitionedTableError, match=why):
            table.write_empty(DAYS, bad.schema)
        with pytest.raises(PartitionedTableError, match=why):
            table.write(bad, DAYS)
    assert table.stored_days() == [], "nothing was published"


def test_rows_outside_the_written_days_fail_and_publish_nothing(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    before = root.checksums(TABLE)

    with pytest.raises(PartitionedTableError, match="outside the days being written"):
        table.write(rows_for(spark, ["2024-03-01", "2024-03-05"]), ["2024-03-01"])

    assert root.checksums(TABLE) == before
    assert table.stored_days() == DAYS


def test_failed_spark_job_leaves_no_half_written_day_and_no_files(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)
    before = root.checksums(TABLE)
    exploding = rows_for(spark, DAYS, tag="v2").withColumn(
        "label", F.when(F.col("id") == 2, F.raise_error(F.lit("boom"))).otherwise(F.col("label"))
    )

    with pytest.raises(Exception, match="boom"):
        table.write(exploding, DAYS)

    assert root.checksums(TABLE) == before


def test_days_with_rows_but_no_files_are_refused_before_anything_is_published(
    spark, table, monkeypatch
):
    """A store whose listing does not (yet) show what was written must not publish empty days."""
    table.write(rows_for(spark, DAYS), DAYS)
    real_list = table.store.list
    committed = table.manifest().referenced_files()

    def lagging_list(prefix=""):  # new files of 2024-03-02 are not listed yet
        return [
            item
            for item in real_list(prefix)
            if not item.key.startswith("day=2024-03-02/") or item.key in committed
        ]

    monkeypatch.setattr(table.store, "list", lagging_list)
    with pytest.raises(MissingWrittenFilesError, match="2024-03-02"):
        table.write(rows_for(spark, DAYS, tag="v2"), DAYS)
    monkeypatch.undo()

    assert {day: {r.label[:2] for r in table.read([day]).collect()} for day in DAYS} == {
        day: {"v1"} for day in DAYS
    }


def test_read_opens_only_the_files_of_the_requested_days(spark, table, root):
    table.write(rows_for(spark, DAYS), DAYS)

    one_day = table.read(["2024-03-02"])

    assert {r.day.isoformat() for r in one_day.collect()} == {"2024-03-02"}
    assert one_day.inputFiles() and all("day=2024-03-02/" in f for f in one_day.inputFiles())


def test_stray_files_in_a_day_folder_are_never_read(spark, table, root):
    """Readers open the files the manifest names, not whatever a folder holds."""
    result = table.write(rows_for(spark, DAYS), DAYS)
    root.write_text(f"{TABLE}/day=2024-03-02/part-stray.csv", "id,label\n99,stray\n")
    root.write_text(f"{TABLE}/day=2024-03-02/write={result.write_id}/part-x.csv", "id,label\n9,x\n")

    assert sorted(r.id for r in table.read(["2024-03-02"]).collect()) == [0, 1, 2]


def test_reading_days_never_written_names_them(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    with pytest.raises(PartitionedTableError, match="2024-03-09") as error:
        table.read(["2024-03-01", "2024-03-09"])
    assert table.name in str(error.value)


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


@pytest.mark.parametrize("storage_settings", ["local"], indirect=True)  # counting, not storage
def test_rows_per_day_are_exact_for_a_year_whose_rows_arrive_in_many_partitions(spark, table):
    """Found at 365 x 100,000: with every input partition holding rows of every day, the counts
    went to neighbouring days (the total still right). They feed the manifest and step 4."""
    year = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(365)]
    frame, expected = spread_over_partitions(spark, year, per_day=20, partitions=8)

    result = table.write(frame, year)

    assert result.rows_per_day == expected
    assert table.manifest().days["2024-12-30"].rows == expected["2024-12-30"]


def test_a_corrupted_stored_file_fails_the_read_naming_it(spark, table, root):
    result = table.write(rows_for(spark, DAYS), DAYS)
    folder = f"{TABLE}/day=2024-03-02/write={result.write_id}"
    name = next(f for f in root.files(folder) if f.startswith("part-"))
    root.write_text(f"{folder}/{name}", "id,label\nnot-a-number,x\n")

    with pytest.raises(Exception, match=name.replace(".", r"\.")):
        table.read(["2024-03-02"]).collect()


def test_a_file_whose_header_was_edited_fails_the_read(spark, table, root):
    result = table.write(rows_for(spark, DAYS), DAYS)
    folder = f"{TABLE}/day=2024-03-02/write={result.write_id}"
    name = next(f for f in root.files(folder) if f.startswith("part-"))
    root.write_text(f"{folder}/{name}", "label,id\nx,1\n")

    with pytest.raises(Exception, match="(?i)header"):
        table.read(["2024-03-02"]).collect()


# --- columns that change between writes --------------------------------------------------


def test_reordered_columns_read_by_name_on_old_and_new_days(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    reordered = rows_for(spark, ["2024-03-03"], tag="v2").select("label", "day", "id")

    table.write(reordered, ["2024-03-03"])

    rows = {(r.day.isoformat(), r.id, r.label) for r in table.read().collect()}
    assert ("2024-03-01", 2, "v1-2024-03-01-2") in rows, "old day: id and label not swapped"
    assert ("2024-03-03", 2, "v2-2024-03-03-2") in rows
    assert table.read().columns == ["label", "day", "id"], "the newest write's order"


def test_an_added_column_reads_as_null_on_older_days(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    wider = rows_for(spark, ["2024-03-03"], tag="v2").withColumn("score", F.lit(1.5))

    table.write(wider, ["2024-03-03"])

    scores = {r.day.isoformat(): r.score for r in table.read().collect()}
    assert scores == {"2024-03-01": None, "2024-03-02": None, "2024-03-03": 1.5}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.withColumn("id", F.col("id").cast("string")), "'id' from int to string"),
        (lambda df: df.drop("label"), "drops column 'label'"),
        (lambda df: df.withColumnRenamed("label", "name"), "drops column 'label'"),
    ],
    ids=["type-change", "dropped", "renamed"],
)
def test_incompatible_column_changes_are_refused_naming_columns_and_days(
    spark, table, root, change, message
):
    table.write(rows_for(spark, DAYS), DAYS)
    before = root.checksums(TABLE)

    with pytest.raises(SchemaChangeError) as error:
        table.write(change(rows_for(spark, ["2024-03-03"], tag="v2")), ["2024-03-03"])

    text = str(error.value)
    assert message in text and "2024-03-01, 2024-03-02" in text
    assert "re-materialize every stored day" in text and "2024-03-01..2024-03-03" in text
    assert root.checksums(TABLE) == before, "refused before anything was written"


def test_a_write_of_every_stored_day_may_change_columns(spark, table):
    table.write(rows_for(spark, DAYS), DAYS)
    retyped = rows_for(spark, DAYS, tag="v2").withColumn("id", F.col("id").cast("string"))

    table.write(retyped, DAYS)

    assert dict(table.read().dtypes)["id"] == "string"


# --- housekeeping -----------------------------------------------------------------------------


def test_replaced_files_are_kept_for_readers_until_the_retention_has_passed(spark, root):
    kept = PartitionedTable(
        spark, f"{root.root_uri}/{TABLE}", "day", options=TableOptions(dt.timedelta(hours=1))
    )
    first = kept.write(rows_for(spark, DAYS), DAYS)
    old_folders = folders_on_disk(kept)
    reader_started = kept.read(["2024-03-02"])  # a reader in another run, mid-way

    kept.write(rows_for(spark, DAYS, tag="v2"), DAYS)

    assert old_folders <= folders_on_disk(kept), "replaced files kept for an hour"
    assert {r.label[:2] for r in reader_started.collect()} == {"v1"}
    assert kept.manifest().retired[0].write_id == first.write_id
    immediate = PartitionedTable(spark, kept.root, "day", options=IMMEDIATE)
    immediate.write(rows_for(spark, DAYS, tag="v3"), DAYS)
    assert not (old_folders & folders_on_disk(immediate)), "deleted once past the retention"
    assert leftovers(immediate) == []


def test_old_manifests_are_pruned(spark, root):
    table = PartitionedTable(
        spark, f"{root.root_uri}/{TABLE}", "day", options=TableOptions(keep_manifests=2)
    )
    for tag in ("v1", "v2", "v3", "v4"):
        table.write(rows_for(spark, ["2024-03-01"], tag=tag), ["2024-03-01"])

    assert root.files(f"{TABLE}/_table/manifests") == [f"{3:020d}.json", f"{4:020d}.json"]
    assert {r.label[:2] for r in table.read().collect()} == {"v4"}


def test_a_table_in_the_old_layout_is_refused_with_what_to_do(spark, root):
    root.write_text(f"{TABLE}/_schema.json", "{}")
    root.write_text(f"{TABLE}/day=2024-03-01/part-0.csv", "id,label\n1,x\n")
    table = PartitionedTable(spark, f"{root.root_uri}/{TABLE}", "day")

    with pytest.raises(LegacyLayoutError, match="Delete .* and materialize the asset again"):
        table.read()
    with pytest.raises(LegacyLayoutError):
        table.write(rows_for(spark, DAYS), DAYS)


def test_values_come_back_exactly_as_written(spark, table):
    """Spaces, empty strings, quotes, separators and line breaks survive a round trip; a null
    stays a null (stored as ``\\N``, so the literal two-character string ``\\N`` reads as null)."""
    values = ["  padded  ", "", None, 'say "hi", twice', "two\nlines", "tab\there", "ünïcödé"]
    frame = spark.createDataFrame(
        [(i, value, dt.date(2024, 3, 1)) for i, value in enumerate(values)],
        "id INT, label STRING, day DATE",
    )
    table.write(frame, ["2024-03-01"])
    back = {row.id: row.label for row in table.read(["2024-03-01"]).collect()}
    assert back == dict(enumerate(values))


@pytest.mark.parametrize("name", ["write", "WRITE", "Write"])
def test_a_column_named_like_the_write_folders_is_refused(spark, table, name):
    frame = rows_for(spark, ["2024-03-01"]).withColumn(name, F.lit(1))
    with pytest.raises(PartitionedTableError, match="reserves"):
        table.write(frame, ["2024-03-01"])
    with pytest.raises(PartitionedTableError, match="no stored days"):
        table.read()


@pytest.mark.parametrize("folder", ["with space", "per%cent", "hash#tag"])
def test_a_local_folder_with_unusual_characters_works(spark, tmp_path, folder):
    """Paths like ``~/My Projects/data`` are common on laptops: Spark and the store must agree."""
    root = (tmp_path / folder / "warehouse").absolute()
    for uri in (root.as_uri(), str(root)):
        table = PartitionedTable(spark, f"{uri}/labs/things", "day", options=IMMEDIATE)
        table.write(rows_for(spark, DAYS), DAYS)
        assert table.read().count() == 9
        assert leftovers(table) == []
    assert sorted(p.name for p in (tmp_path / folder).iterdir()) == ["warehouse"]


def test_the_file_committer_copies_each_file_once_on_s3_and_renames_cheaply_on_a_folder():
    """On S3 a rename is a copy (algorithm 2: one per file); locally algorithm 1 is faster."""
    assert committer_options("s3a://bucket/warehouse/t")[COMMITTER_ALGORITHM] == "2"
    assert committer_options("file:///data/warehouse/t")[COMMITTER_ALGORITHM] == "1"
    assert committer_options("hdfs://namenode/warehouse/t")[COMMITTER_ALGORITHM] == "2"


def _sort_order(frame) -> list[str]:
    """The columns ``frame``'s optimized plan says its rows are sorted by (PySpark has no public
    call for a plan's output ordering: through the JVM's QueryExecution)."""
    ordering = frame._jdf.queryExecution().optimizedPlan().outputOrdering()
    return [ordering.apply(i).child().name() for i in range(ordering.size())]


def test_the_write_hands_its_rows_over_in_the_order_the_partitioned_writer_needs(spark, tmp_path):
    """Spark's partitioned writer sorts its input by the folder columns unless the plan says it
    is sorted so already; that sort's merge of spilled runs is not stable, so a day's rows (and
    the file's bytes) would come out in an order that depends on memory. The rows are handed
    over sorted by the folder columns first, then every data column."""
    table = PartitionedTable(spark, (tmp_path / "t").as_uri(), "day")
    frame = spark.createDataFrame([(1, "a", dt.date(2024, 1, 1))], "id INT, name STRING, day DATE")
    rows = table._rows_to_write(frame, "w1", DayCounter(["2024-01-01"]))

    assert _sort_order(rows) == ["day", "write", "id", "name"]


def test_files_a_killed_local_write_left_to_sparks_committer_are_never_published(spark, tmp_path):
    """A local write killed after some of its tasks committed (the file committer's algorithm 1,
    on a local folder) leaves their files in ``<root>/_temporary/0/task_*/``; the next write's job
    commit moves them into ``<day>/write=<dead id>/`` folders of the table. No manifest names
    them, so no reader opens them, and that write's clean-up deletes them."""
    root = tmp_path / "t"
    table = PartitionedTable(spark, root.as_uri(), "day")
    days = DAYS[:2]
    table.write(rows_for(spark, days, tag="v1"), days)
    task = root / "_temporary" / "0" / "task_202611290000_0001_m_000000"
    dead = task / f"day={days[0]}" / "write=20261129T000000Z-deadbeef"
    dead.mkdir(parents=True)
    (dead / "part-00000-dead.c000.csv").write_text("id,label\n99,dead\n")

    table.write(rows_for(spark, days, tag="v2"), days)

    assert {row.label.split("-")[0] for row in table.read(days).collect()} == {"v2"}
    assert leftovers(table) == []
    assert not [p for p in root.rglob("*") if "deadbeef" in p.as_posix()]
