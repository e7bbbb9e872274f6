"""Where a landing record says it comes from: ``source_file`` and its day, worked out once per file
in the worker (``reader.file_location``) where Spark once applied two regular expressions to
every row's path. The worker must give exactly what those expressions gave."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from pyspark.sql import functions as F

from adventureworks_orchestration.landing.paths import landing_file_path
from adventureworks_orchestration.landing.reader import (
    DAY_IN_FILE_NAME,
    LANDING_KEY_IN_PATH,
    LINE,
    SOURCE_FILE,
    file_location,
    read_records,
)

PATHS = [
    "file:/tmp/data/landing/bookings/bookings/2024-01-01.csv",
    "file:///tmp/data/landing/bookings/members/2024-02-29.csv",
    "file:/tmp/a%20b/landing/bookings/facilities/1999-12-31.csv",
    "file:/tmp/a b/bookings/bookings/2024-03-01.csv",
    "s3a://landing/bookings/bookings/2024-01-01.csv",
    "s3a://bucket/some/prefix/bookings/members/2030-06-15.csv",
    "s3a://bucket/bookings/bookings/bookings/bookings/2024-01-02.csv",
    "s3a://bucket/bookings/Bookings/2024-01-02.csv",  # no key (upper case), a day
    "s3a://bucket/other/2024-01-03.csv",  # no key, a day
]
ROOTS = ["file:///tmp/data/landing", "s3a://landing/", "s3a://bucket/some/prefix"]


def _spark_expressions(spark, path: str, root: str) -> tuple[str, dt.date | None]:
    """What read_records computed per row before: ``source_file`` and the day, in Spark."""
    key = F.regexp_extract(F.col("path"), LANDING_KEY_IN_PATH, 1)
    row = (
        spark.createDataFrame([(path,)], "path STRING")
        .select(
            F.concat(F.lit(root.rstrip("/") + "/"), key).alias("source_file"),
            F.to_date(F.regexp_extract(F.col("path"), DAY_IN_FILE_NAME, 1)).alias("day"),
        )
        .first()
    )
    return row["source_file"], row["day"]


@pytest.mark.parametrize("root", ROOTS)
def test_file_location_is_what_sparks_expressions_gave_per_row(spark, root):
    """For every landing path (a day in the file's name; a landing key or none)."""
    for path in PATHS:
        assert file_location(path, root) == _spark_expressions(spark, path, root), path


@pytest.mark.parametrize(
    "name",
    ["notes.csv", "２０２４-01-01.csv", "2024-02-30.csv", "0000-01-01.csv", "2024-01-01.csv.bak"],
)
def test_a_file_name_without_a_day_fails_naming_the_file(name):
    """Java's ``\\d`` is 0-9 only, and so is the worker's (``re.ASCII``): full-width digits are
    not a day; neither is a date that does not exist, nor year 0 (which Spark's dates have). The
    landing listing never offers such a file; should one come, its run fails naming it."""
    path = f"s3a://b/bookings/bookings/{name}"
    with pytest.raises(ValueError, match=f"^{re.escape(path)}: the file's name holds no day"):
        file_location(path, "s3a://b")


@pytest.mark.parametrize("plain", [True, False], ids=["plain_file", "file_for_the_loop"])
def test_records_carry_their_file_and_day_from_both_parsers(spark, tmp_path, plain):
    """Both ways a worker splits a file (Arrow kernels for a plain file, the loop for any other:
    here a quoted comma) give each record its file and day."""
    day = "2024-03-01"
    path = tmp_path / "landing" / landing_file_path("members", day)
    path.parent.mkdir(parents=True)
    name = "Ann" if plain else '"Smith, Ann"'
    path.write_text(f"memid,surname\n1,{name}\n2,Bob\n")
    root = (tmp_path / "landing").as_uri()
    rows = (
        read_records(spark, [path.as_uri()], ["memid", "surname"], root, "snapshot_date")
        .orderBy(LINE)
        .collect()
    )
    assert [(r[LINE], r["memid"]) for r in rows] == [(2, "1"), (3, "2")]
    assert {r[SOURCE_FILE] for r in rows} == {f"{root}/{landing_file_path('members', day)}"}
    assert {r["snapshot_date"] for r in rows} == {dt.date.fromisoformat(day)}
