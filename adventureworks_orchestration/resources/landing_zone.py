"""Reads landing files (one CSV per table per day) into a DataFrame that carries each row's day.

Source assets ask it for a table and a set of days; it checks every file is there first (so a
missing day fails at once, naming the files) and then reads them all in one Spark scan.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from ..partitions.landing import landing_file_path
from .hadoop_fs import FileStatus, HadoopFileSystem

DAY_IN_FILE_NAME = r"(\d{4}-\d{2}-\d{2})\.csv$"


class MissingLandingFilesError(FileNotFoundError):
    """Some requested table-days have no landing file; the message lists them."""


class LandingZone(dg.ConfigurableResource):
    """Where landing files are: a local folder or an ``s3a://bucket/prefix`` URI."""

    root: str

    @property
    def root_uri(self) -> str:
        if "://" in self.root:
            return self.root.rstrip("/")
        return Path(self.root).expanduser().absolute().as_uri()

    def file_uri(self, table: str, day: str) -> str:
        return f"{self.root_uri}/{landing_file_path(table, day)}"

    def find_files(self, spark: SparkSession, table: str, days: Sequence[str]) -> list[FileStatus]:
        """The landing files of ``table`` for ``days``, from one listing of the table's folder."""
        wanted = {self.file_uri(table, day).rsplit("/", 1)[1]: day for day in days}
        folder = self.file_uri(table, days[0]).rsplit("/", 1)[0]
        found = {
            status.name: status
            for status in HadoopFileSystem(spark, folder).list(folder)
            if status.name in wanted and not status.is_dir
        }
        missing = [self.file_uri(table, wanted[name]) for name in sorted(set(wanted) - set(found))]
        if missing:
            raise MissingLandingFilesError(
                f"{len(missing)} landing file(s) missing for {table}: "
                + ", ".join(missing[:10])
                + (" ..." if len(missing) > 10 else "")
            )
        return [found[name] for name in sorted(found)]

    def read(
        self,
        spark: SparkSession,
        files: Sequence[FileStatus],
        schema: StructType,
        partition_column: str,
    ) -> DataFrame:
        """All ``files`` in one scan; the day comes from each file's name into ``partition_column``.

        The header must name the schema's columns and every row must parse (FAILFAST), so a bad
        file fails the write with the file's path rather than turning into silent nulls.
        """
        return (
            spark.read.schema(schema)
            .option("header", "true")
            .option("enforceSchema", "false")
            .option("mode", "FAILFAST")
            .csv([status.path for status in files])
            .withColumn(
                partition_column,
                F.to_date(F.regexp_extract(F.col("_metadata.file_path"), DAY_IN_FILE_NAME, 1)),
            )
        )
