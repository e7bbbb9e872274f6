"""Reads landing files into records: one row per CSV record, with its file, line and raw text.

Spark does the I/O (``binaryFile``: a local folder, S3A or a cluster, with the credentials Spark
already has); each file's bytes go through ``parser.split_plain`` (Arrow kernels, for the plain
file) or ``parser.split_records`` (a Python loop, for any file) in a Python worker
(``mapInArrow``), which gives what Spark's CSV reader cannot: the first line number and the
original text of every record, and a record-level verdict on bytes that are not UTF-8. Fields come
back as text (``None`` when empty); typing them is the validation's job (``landing.validation``).

Where a record comes from (``source_file``) and its day (the partition column) are worked out once
per FILE in the worker, from the file's path (``file_location``), not per row in Spark: two
regular expressions over every row's path cost about as much as parsing the records (2 of 4.4
seconds for 3 million records, 30 files).

Limits: a file is read whole into one row (``binaryFile``: at most 2 GB per file), and the Spark
workers need Python with pyarrow (the parser module itself is shipped with the task).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType

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
_BATCH_RECORDS = 50_000  # records per Arrow batch a worker hands back (bounds its memory)


def file_location(path: str, root_uri: str) -> tuple[str, dt.date]:
    """A landing file's ``source_file`` and day, from the path Spark read it by: the landing key
    (``LANDING_KEY_IN_PATH``) under ``root_uri``, and the day in the file's name. The same
    patterns Spark applied per row before; for the landing zone's paths (ASCII, no line break)
    Java's and Python's regular expressions agree on them (``re.ASCII``: ``\\d`` is 0-9 only, as
    in Java). A name without a real day fails naming the file (the landing listing offers none)."""
    key = re.search(LANDING_KEY_IN_PATH, path, re.ASCII)
    day = re.search(DAY_IN_FILE_NAME, path, re.ASCII)
    try:
        if day is None:
            raise ValueError("no YYYY-MM-DD.csv")
        found = dt.date.fromisoformat(day.group(1))
    except ValueError as exc:
        raise ValueError(f"{path}: the file's name holds no day to read it for ({exc})") from None
    return root_uri.rstrip("/") + "/" + (key.group(1) if key else ""), found


def record_schema(columns: Sequence[str], partition_column: str) -> StructType:
    """What the parser emits per record: where it is, its raw text, its verdict, its fields."""
    clash = set(columns) & {*RECORD_COLUMNS, partition_column}
    if clash:
        raise ValueError(f"landing columns {sorted(clash)} clash with the record's own columns")
    return StructType(
        [
            StructField(LINE, IntegerType()),
            StructField(LAST_LINE, IntegerType()),
            StructField(RAW, StringType()),
            StructField(PARSE_ERROR, StringType()),
            StructField(PARSE_ERROR_CODE, StringType()),
            *(StructField(name, StringType()) for name in columns),
            StructField(SOURCE_FILE, StringType()),
            StructField(partition_column, DateType()),
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
    schema = record_schema(columns, partition_column)
    arrow_schema_fields = [(field.name, field.dataType) for field in schema.fields]
    width, field_names = len(columns), list(columns)
    _ship_parser_with_tasks()
    split, split_plain, locate = parser.split_records, parser.split_plain, file_location

    def parse(batches: Iterator) -> Iterator:
        import pyarrow as pa

        arrow_types = {IntegerType(): pa.int32(), DateType(): pa.date32()}
        names = [name for name, _ in arrow_schema_fields]
        types = [arrow_types.get(kind, pa.string()) for _, kind in arrow_schema_fields]
        target = pa.schema(list(zip(names, types, strict=True)))

        def flush(rows: dict[str, list]) -> pa.RecordBatch:
            return pa.RecordBatch.from_pydict(rows, schema=target)

        def plain_batches(where: tuple, plain) -> Iterator[pa.RecordBatch]:
            count = len(plain.line)
            none = pa.nulls(count, pa.string())
            located = [pa.array([v] * count, t) for v, t in zip(where, types[-2:], strict=True)]
            arrays = [plain.line, plain.line, plain.raw, none, none, *plain.fields, *located]
            table = pa.Table.from_arrays(arrays, schema=target)
            yield from table.to_batches(max_chunksize=_BATCH_RECORDS)

        for batch in batches:
            paths = batch.column(0).to_pylist()
            contents = batch.column(1)
            for index, path in enumerate(paths):
                where = locate(path, root_uri)
                data = contents[index].as_py() or b""
                plain = split_plain(data, width)
                if plain is not None:
                    yield from plain_batches(where, plain)
                    continue
                rows: dict[str, list] = {name: [] for name in names}
                for record in split(data, width):
                    rows[SOURCE_FILE].append(where[0])
                    rows[partition_column].append(where[1])
                    rows[LINE].append(record.line)
                    rows[LAST_LINE].append(record.last_line)
                    rows[RAW].append(record.raw)
                    rows[PARSE_ERROR].append(record.error)
                    rows[PARSE_ERROR_CODE].append(record.error_code)
                    fields = record.fields or (None,) * width
                    for name, value in zip(field_names, fields, strict=True):
                        rows[name].append(value)
                    if len(rows[LINE]) >= _BATCH_RECORDS:
                        yield flush(rows)
                        rows = {name: [] for name in names}
                if rows[LINE]:
                    yield flush(rows)

    files = spark.read.format("binaryFile").load(list(uris)).select("path", "content")
    return files.mapInArrow(parse, schema)


def _ship_parser_with_tasks() -> None:
    """Pickle the parser and ``file_location`` by value, so Spark workers need no copy of this
    package to run them."""
    import sys

    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(parser)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
