"""Reads landing files into records: one row per CSV record, with its file, line and raw text.

Spark does the I/O (``binaryFile``: a local folder, S3A or a cluster, with the credentials Spark
already has); each file's bytes go through ``parser.split_plain`` (Arrow kernels, for the plain
file) or ``parser.split_records`` (a Python loop, for any file) in a Python worker
(``mapInArrow``), which gives what Spark's CSV reader cannot: the first line number and the
original text of every record, and a record-level verdict on bytes that are not UTF-8. Fields come
back as text (``None`` when empty); typing them is the validation's job (``landing.validation``).

Limits: a file is read whole into one row (``binaryFile``: at most 2 GB per file), and the Spark
workers need Python with pyarrow (the parser module itself is shipped with the task).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from . import parser
from .paths import LANDING_DATASET

DAY_IN_FILE_NAME = r"(\d{4}-\d{2}-\d{2})\.csv$"
LANDING_KEY_IN_PATH = rf"({LANDING_DATASET}/[a-z_]+/\d{{4}}-\d{{2}}-\d{{2}}\.csv)$"

# The columns a record carries besides the table's own (all text until validated).
SOURCE_FILE = "source_file"
LINE = "line"
LAST_LINE = "last_line"
RAW = "raw"
PARSE_ERROR = "parse_error"
PARSE_ERROR_CODE = "parse_error_code"
RECORD_COLUMNS = (SOURCE_FILE, LINE, LAST_LINE, RAW, PARSE_ERROR, PARSE_ERROR_CODE)
_SPARK_PATH = "_spark_path"
_BATCH_RECORDS = 50_000  # records per Arrow batch a worker hands back (bounds its memory)


def record_schema(columns: Sequence[str]) -> StructType:
    """What the parser emits per record: where it is, its raw text, its verdict, its fields."""
    clash = set(columns) & {*RECORD_COLUMNS, _SPARK_PATH}
    if clash:
        raise ValueError(f"landing columns {sorted(clash)} clash with the record's own columns")
    return StructType(
        [
            StructField(_SPARK_PATH, StringType()),
            StructField(LINE, IntegerType()),
            StructField(LAST_LINE, IntegerType()),
            StructField(RAW, StringType()),
            StructField(PARSE_ERROR, StringType()),
            StructField(PARSE_ERROR_CODE, StringType()),
            *(StructField(name, StringType()) for name in columns),
        ]
    )


def read_records(
    spark: SparkSession,
    uris: Sequence[str],
    columns: Sequence[str],
    root_uri: str,
    partition_column: str,
) -> DataFrame:
    """Every record of ``uris`` (landing files with the header ``columns``), in one Spark scan.

    ``source_file`` names each file as ``root_uri/<landing key>`` (how the landing zone names it
    in messages); ``partition_column`` is the day in the file's name, as a date.
    """
    schema = record_schema(columns)
    arrow_schema_fields = [(field.name, field.dataType) for field in schema.fields]
    width = len(columns)
    _ship_parser_with_tasks()
    split, split_plain = parser.split_records, parser.split_plain

    def parse(batches: Iterator) -> Iterator:
        import pyarrow as pa

        names = [name for name, _ in arrow_schema_fields]
        types = [
            pa.int32() if kind == IntegerType() else pa.string() for _, kind in arrow_schema_fields
        ]
        target = pa.schema(list(zip(names, types, strict=True)))

        def flush(rows: dict[str, list]) -> pa.RecordBatch:
            return pa.RecordBatch.from_pydict(rows, schema=target)

        def plain_batches(path: str, plain) -> Iterator[pa.RecordBatch]:
            count = len(plain.line)
            none = pa.nulls(count, pa.string())
            columns = [pa.array([path] * count, pa.string()), plain.line, plain.line, plain.raw]
            table = pa.Table.from_arrays([*columns, none, none, *plain.fields], schema=target)
            yield from table.to_batches(max_chunksize=_BATCH_RECORDS)

        for batch in batches:
            paths = batch.column(0).to_pylist()
            contents = batch.column(1)
            for index, path in enumerate(paths):
                data = contents[index].as_py() or b""
                plain = split_plain(data, width)
                if plain is not None:
                    yield from plain_batches(path, plain)
                    continue
                rows: dict[str, list] = {name: [] for name in names}
                for record in split(data, width):
                    rows[_SPARK_PATH].append(path)
                    rows[LINE].append(record.line)
                    rows[LAST_LINE].append(record.last_line)
                    rows[RAW].append(record.raw)
                    rows[PARSE_ERROR].append(record.error)
                    rows[PARSE_ERROR_CODE].append(record.error_code)
                    fields = record.fields or (None,) * width
                    for name, value in zip(names[len(names) - width :], fields, strict=True):
                        rows[name].append(value)
                    if len(rows[LINE]) >= _BATCH_RECORDS:
                        yield flush(rows)
                        rows = {name: [] for name in names}
                if rows[LINE]:
                    yield flush(rows)

    files = spark.read.format("binaryFile").load(list(uris)).select("path", "content")
    key = F.regexp_extract(F.col(_SPARK_PATH), LANDING_KEY_IN_PATH, 1)
    return (
        files.mapInArrow(parse, schema)
        .withColumn(SOURCE_FILE, F.concat(F.lit(root_uri.rstrip("/") + "/"), key))
        .withColumn(
            partition_column,
            F.to_date(F.regexp_extract(F.col(_SPARK_PATH), DAY_IN_FILE_NAME, 1)),
        )
        .drop(_SPARK_PATH)
    )


def _ship_parser_with_tasks() -> None:
    """Pickle the parser by value, so Spark workers need no copy of this package to run it."""
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(parser)
