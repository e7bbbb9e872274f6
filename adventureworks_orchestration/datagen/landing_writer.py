"""Writes generated table-days into a landing area, one CSV file each, via the path template.

The landing area is a local folder or an S3 bucket/prefix; both receive whole files only (a local
file is written under a temporary name and renamed, an S3 object appears whole on PUT), so a
watcher never sees half a file.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv

from ..landing.paths import LANDING_TABLES, landing_file_path
from .bookings import GeneratorConfig, generate_table
from .faults import with_faults

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenFile:
    table: str
    day: str
    path: str
    rows: int


class LandingSink(Protocol):
    """Somewhere a whole landing file can be put under its template path."""

    def put(self, relative_path: str, data: bytes) -> str: ...


class LocalLandingSink:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def put(self, relative_path: str, data: bytes) -> str:
        target = self.folder / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        return str(target)


class S3LandingSink:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def put(self, relative_path: str, data: bytes) -> str:
        key = f"{self.prefix}/{relative_path}" if self.prefix else relative_path
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="text/csv")
        return f"s3://{self.bucket}/{key}"


class LandingWriter:
    """Generates table-days and puts each as one CSV file into a landing sink."""

    def __init__(self, sink: LandingSink) -> None:
        self.sink = sink

    @classmethod
    def local(cls, folder: str | Path) -> LandingWriter:
        return cls(LocalLandingSink(folder))

    def write(
        self,
        days: Iterable[str],
        config: GeneratorConfig,
        tables: Iterable[str] = LANDING_TABLES,
        progress: Callable[[str], None] = log.info,
    ) -> list[WrittenFile]:
        days, tables = list(days), list(tables)
        written = []
        for index, day in enumerate(days, start=1):
            for table in tables:
                data = generate_table(table, day, config)
                written.append(self.write_table(table, day, data, config.seed, config.faults))
            if index == len(days) or index % 10 == 0:
                progress(f"generated {index}/{len(days)} day(s) of landing data")
        return written

    def write_table(
        self, table: str, day: str, data: pa.Table, seed: int = 42, faults: bool = False
    ) -> WrittenFile:
        """One table-day as CSV; with ``faults``, the day's bad rows appended (``faults``)."""
        buffer = io.BytesIO()
        pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(quoting_style="needed"))
        content = buffer.getvalue()
        if faults:
            content = with_faults(table, day, content, seed)
        path = self.sink.put(landing_file_path(table, day), content)
        rows = data.num_rows + (content.count(b"\n") - buffer.getvalue().count(b"\n"))
        return WrittenFile(table=table, day=day, path=path, rows=rows)
