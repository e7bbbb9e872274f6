"""Writes generated table-days into a landing root, one CSV file each, via the path template.

Files are written under a temporary name and renamed, so a watcher never sees half a file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow.csv as pa_csv
import pyarrow.fs as pa_fs

from ..partitions.landing import LANDING_TABLES, landing_file_path
from .bookings import GeneratorConfig, generate_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenFile:
    table: str
    day: str
    path: str
    rows: int


class LandingWriter:
    """A landing root (a local folder, or a bucket/prefix on any pyarrow filesystem)."""

    def __init__(self, filesystem: pa_fs.FileSystem, root: str) -> None:
        self.filesystem = filesystem
        self.root = root.rstrip("/")

    @classmethod
    def local(cls, folder: str) -> LandingWriter:
        return cls(pa_fs.LocalFileSystem(), str(folder))

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
                written.append(self.write_table(table, day, generate_table(table, day, config)))
            if index == len(days) or index % 10 == 0:
                progress(f"generated {index}/{len(days)} day(s) of landing data in {self.root}")
        return written

    def write_table(self, table: str, day: str, data) -> WrittenFile:  # noqa: ANN001 - pa.Table
        path = f"{self.root}/{landing_file_path(table, day)}"
        temporary = f"{path}.tmp"
        self.filesystem.create_dir(path.rsplit("/", 1)[0], recursive=True)
        with self.filesystem.open_output_stream(temporary) as sink:
            pa_csv.write_csv(data, sink, pa_csv.WriteOptions(quoting_style="needed"))
        self.filesystem.move(temporary, path)
        return WrittenFile(table=table, day=day, path=path, rows=data.num_rows)
