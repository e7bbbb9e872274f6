"""Listing landing files in key order from a point on, for a local folder or an S3 bucket.

Both the landing sensor and the source assets list through here, so the ``etag`` a sensor sees
for a file is the one the source asset records when it ingests it. Listing starts *after* a key
(S3's ``StartAfter``; the key need not exist, so a deleted file never breaks it) and pages are
fetched only while the caller keeps reading, which is what lets a sensor tick bound its listing to
the days it looks at rather than the size of the bucket.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..settings import Settings
from .objects import MAX_PAGE_SIZE, LandingLister, LandingObject

__all__ = [
    "MAX_PAGE_SIZE",
    "LandingLister",
    "LandingObject",
    "LocalLandingLister",
    "S3LandingLister",
    "build_landing_lister",
]


class LocalLandingLister:
    """A local landing folder with S3's listing semantics; the etag is size and modification time.

    A local folder has no range listing, so each call scans the folder the prefix points into
    (``list_calls`` counts the scans); the request bound of a sensor tick is about S3.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().absolute()
        self.root_uri = self.root.as_uri()
        self.list_calls = 0

    def list_after(
        self, prefix: str, start_after: str = "", page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[LandingObject]:
        self.list_calls += 1
        folder, _, _ = prefix.rpartition("/")
        base = self.root / folder if folder else self.root
        if not base.is_dir():
            return
        found = []
        for directory, _, names in os.walk(base):
            relative = Path(directory).relative_to(self.root).as_posix()
            for name in names:
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix) and key > start_after:
                    found.append(key)
        for key in sorted(found):
            try:
                stat = (self.root / key).stat()
            except FileNotFoundError:  # removed while listing
                continue
            yield LandingObject(
                key=key, size=stat.st_size, etag=f"{stat.st_size}-{stat.st_mtime_ns}"
            )


class S3LandingLister:
    """A landing bucket (and optional prefix), listed with ListObjectsV2 requests.

    Pages are requested one at a time (``MaxKeys`` = ``page_size``) only while the caller keeps
    iterating, so the number of requests is what the caller reads, not what the prefix holds.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.root_uri = f"s3a://{bucket}" + (f"/{self.prefix}" if self.prefix else "")

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list_after(
        self, prefix: str, start_after: str = "", page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[LandingObject]:
        arguments: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": self._full(prefix),
            "MaxKeys": max(1, min(page_size, MAX_PAGE_SIZE)),
        }
        if start_after:
            arguments["StartAfter"] = self._full(start_after)
        while True:
            page = self.client.list_objects_v2(**arguments)
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) + 1 :] if self.prefix else item["Key"]
                yield LandingObject(key=key, size=int(item["Size"]), etag=item["ETag"].strip('"'))
            if not page.get("IsTruncated"):
                return
            arguments.pop("StartAfter", None)
            arguments["ContinuationToken"] = page["NextContinuationToken"]


def build_landing_lister(settings: Settings) -> LandingLister:
    """The lister for where ``settings`` say landing files arrive."""
    if settings.uses_s3:
        from ..storage.s3 import s3_client  # boto3 only when landing is on S3

        return S3LandingLister(s3_client(settings.s3), settings.s3.landing_bucket)
    return LocalLandingLister(settings.landing_dir)
