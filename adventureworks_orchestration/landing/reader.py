"""Reads landing files into one DataFrame whose rows carry the day of the file they came from."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

DAY_IN_FILE_NAME = r"(\d{4}-\d{2}-\d{2})\.csv$"


def read_landing_files(
    spark: SparkSession, uris: Sequence[str], schema: StructType, partition_column: str
) -> DataFrame:
    """All ``uris`` in one scan; the day comes from each file's name into ``partition_column``.

    The header must name the schema's columns and every row must parse (FAILFAST), so a bad
    file fails the write with the file's path rather than turning into silent nulls.
    """
    return (
        spark.read.schema(schema)
        .option("header", "true")
        .option("enforceSchema", "false")
        .option("mode", "FAILFAST")
        .csv(list(uris))
        .withColumn(
            partition_column,
            F.to_date(F.regexp_extract(F.col("_metadata.file_path"), DAY_IN_FILE_NAME, 1)),
        )
    )
