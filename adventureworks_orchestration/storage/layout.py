"""Where things live inside a table's folder: the one module that knows the layout.

```
<table root>/
  <column>=<YYYY-MM-DD>/write=<write id>/part-*.csv   one folder per write of a day
  _table/manifests/<version, 20 digits>.json          the commit records (newest wins)
  _table/lease.json                                   who is writing the table right now
  _temporary/                                         Spark's, only while a write runs
```

A person browsing the folder finds each day under ``<column>=<day>/``; the manifest says which
``write=`` folder inside it is the day's current data (after a successful write there is only
one, unless replaced versions are kept for readers still using them; see ``manifest``).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

META_DIR = "_table"
MANIFEST_DIR = f"{META_DIR}/manifests"
LEASE_KEY = f"{META_DIR}/lease.json"
WRITE_COLUMN = "write"
SPARK_TEMPORARY_DIR = "_temporary"

_MANIFEST_KEY = re.compile(rf"^{MANIFEST_DIR}/(\d{{20}})\.json$")
_WRITE_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")


def manifest_key(version: int) -> str:
    return f"{MANIFEST_DIR}/{version:020d}.json"


def manifest_version(key: str) -> int | None:
    match = _MANIFEST_KEY.match(key)
    return int(match.group(1)) if match else None


def new_write_id(now: dt.datetime | None = None) -> str:
    """Sortable by start time, unique: ``20240301T120000Z-1a2b3c4d``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def day_folder(partition_column: str, day: str) -> str:
    return f"{partition_column}={day}"


def write_folder(partition_column: str, day: str, write_id: str) -> str:
    return f"{day_folder(partition_column, day)}/{WRITE_COLUMN}={write_id}"


@dataclass(frozen=True)
class DataFileKey:
    day: str
    write_id: str
    name: str

    @property
    def is_data(self) -> bool:
        """Spark's own side files (``.crc``, ``_SUCCESS``) are not data."""
        return not self.name.startswith((".", "_"))


def parse_data_key(key: str, partition_column: str) -> DataFileKey | None:
    """``<column>=<day>/write=<id>/<name>`` -> its parts; None for anything else."""
    parts = key.split("/")
    if len(parts) != 3:
        return None
    column, _, day = parts[0].partition("=")
    label, _, write_id = parts[1].partition("=")
    if column != partition_column or label != WRITE_COLUMN or not _WRITE_ID.match(write_id):
        return None
    return DataFileKey(day=day, write_id=write_id, name=parts[2])
