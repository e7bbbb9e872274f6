"""Listing landing files in key order from a point on, for a local folder or an S3 bucket.

Both the landing sensor and the source assets list through here, so the ``etag`` a sensor sees
for a file is the one the source asset records when it ingests it. Listing starts *after* a key
(S3's ``StartAfter``; the key need not exist, so a deleted file never breaks it), which is what
makes a sensor tick cost the files it reads rather than the size of the bucket.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..settings import Settings
from ..storage.s3 import s3_client


@dataclass(frozen=True)
class LandingObject:
    key: str  # relative to the landing root, e.g. bookings/members/2024-03-01.csv
    size: int
    etag: str  # changes whenever the content is replaced


class LandingLister(Protocol):
    root_uri: str

    def list_after(self, prefix: str, start_after: str = "") -> Iterator[LandingObject]:
        """Objects under ``prefix`` whose key sorts after ``start_after``, in key order."""
        ...


class LocalLandingLister:
    """A local landing folder; the etag is size and modification time (no content hashing)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self.root_uri = self.root.as_uri()
        self.list_calls = 0

    def list_after(self, prefix: str, start_after: str = "") -> Iterator[LandingObject]:
        folder = self.root / prefix.rstrip("/")
        self.list_calls += 1
        if not folder.is_dir():
            return
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        for entry in entries:
            key = f"{prefix.rstrip('/')}/{entry.name}"
            if key <= start_after or not entry.is_file():
                continue
            stat = entry.stat()
            etag = f"{stat.st_size}-{stat.st_mtime_ns}"
            yield LandingObject(key=key, size=stat.st_size, etag=etag)


class S3LandingLister:
    """A landing bucket (and optional prefix), listed with ListObjectsV2 pages of 1000 keys."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.root_uri = f"s3a://{bucket}" + (f"/{self.prefix}" if self.prefix else "")

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list_after(self, prefix: str, start_after: str = "") -> Iterator[LandingObject]:
        arguments = {"Bucket": self.bucket, "Prefix": self._full(prefix)}
        if start_after:
            arguments["StartAfter"] = self._full(start_after)
        for page in self.client.get_paginator("list_objects_v2").paginate(**arguments):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) + 1 :] if self.prefix else item["Key"]
                yield LandingObject(key=key, size=int(item["Size"]), etag=item["ETag"].strip('"'))


def build_landing_lister(settings: Settings) -> LandingLister:
    """The lister for where ``settings`` say landing files arrive."""
    if settings.uses_s3:
        return S3LandingLister(s3_client(settings.s3), settings.s3.landing_bucket)
    return LocalLandingLister(settings.landing_dir)
