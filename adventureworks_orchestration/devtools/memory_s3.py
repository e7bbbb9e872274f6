"""An in-memory stand-in for S3's ListObjectsV2, counting requests and keys returned.

It answers ``list_objects_v2`` with S3's semantics (keys in UTF-8 byte order, ``Prefix``,
``StartAfter``, ``MaxKeys`` capped at 1000, ``ContinuationToken`` paging), so listing code that
runs against it runs unchanged against a real bucket. A million keys fit in memory and list in
microseconds, which is how tests and the sensor benchmark measure request counts at sizes a local
S3 server takes many minutes to fill. ``tests/test_landing_listing.py`` checks it pages exactly
like SeaweedFS.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

PAGE_LIMIT = 1000


def _order(key: str) -> bytes:
    return key.encode("utf-8")


@dataclass
class ListingCounter:
    requests: int = 0
    keys_returned: int = 0
    returned: list[str] = field(default_factory=list)


class InMemoryS3Listing:
    """Objects ``key -> (size, etag)`` of one bucket; only the listing call of a boto3 client."""

    def __init__(
        self, objects: Iterable[tuple[str, int, str]] = (), record_keys: bool = False
    ) -> None:
        self._objects: dict[str, tuple[int, str]] = {}
        self._sorted: list[bytes] = []
        self.counter = ListingCounter()
        self.record_keys = record_keys  # keep every returned key in ``counter.returned``
        self.put_many(objects)

    def put(self, key: str, body: bytes) -> None:
        self.put_many([(key, len(body), hashlib.md5(body).hexdigest())])  # noqa: S324 - S3's etag

    def put_many(self, objects: Iterable[tuple[str, int, str]]) -> None:
        new = []
        for key, size, etag in objects:
            if key not in self._objects:
                new.append(_order(key))
            self._objects[key] = (size, etag)
        if new:
            self._sorted = sorted([*self._sorted, *new])

    def delete(self, key: str) -> None:
        if self._objects.pop(key, None) is not None:
            self._sorted.remove(_order(key))

    def __len__(self) -> int:
        return len(self._objects)

    def list_objects_v2(self, **arguments: Any) -> dict[str, Any]:
        prefix = _order(arguments.get("Prefix", ""))
        limit = min(int(arguments.get("MaxKeys", PAGE_LIMIT)), PAGE_LIMIT)
        token = arguments.get("ContinuationToken")
        after = _order(token if token is not None else arguments.get("StartAfter", ""))
        start = bisect.bisect_right(self._sorted, after) if after else 0
        start = max(start, bisect.bisect_left(self._sorted, prefix))
        contents, index = [], start
        while index < len(self._sorted) and len(contents) < limit:
            raw = self._sorted[index]
            if not raw.startswith(prefix):
                break
            key = raw.decode("utf-8")
            size, etag = self._objects[key]
            contents.append({"Key": key, "Size": size, "ETag": f'"{etag}"'})
            index += 1
        truncated = (
            index < len(self._sorted) and self._sorted[index].startswith(prefix) and bool(contents)
        )
        self.counter.requests += 1
        self.counter.keys_returned += len(contents)
        if self.record_keys:
            self.counter.returned.extend(item["Key"] for item in contents)
        page: dict[str, Any] = {"KeyCount": len(contents), "IsTruncated": truncated}
        if contents:
            page["Contents"] = contents
        if truncated:
            page["NextContinuationToken"] = contents[-1]["Key"]
        return page
