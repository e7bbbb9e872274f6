"""What a landing listing returns, and the one listing operation everything else builds on.

Kept free of boto3 and pyspark so the landing sensor's pure decisions can import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..constants import (
    LANDING_ETAG_METADATA_KEY,
    LANDING_FILE_METADATA_KEY,
    LANDING_SIZE_METADATA_KEY,
)

MAX_PAGE_SIZE = 1000  # what one S3 ListObjectsV2 request returns at most


@dataclass(frozen=True)
class LandingObject:
    key: str  # relative to the landing root, e.g. bookings/members/2024-03-01.csv
    size: int
    etag: str  # changes whenever the content is replaced

    def provenance(self) -> dict[str, str | int]:
        """The materialization metadata that says which landing file built a source day (what the
        landing sensor reads back to know a file was ingested)."""
        return {
            LANDING_FILE_METADATA_KEY: self.key,
            LANDING_SIZE_METADATA_KEY: self.size,
            LANDING_ETAG_METADATA_KEY: self.etag,
        }


class LandingLister(Protocol):
    root_uri: str

    def list_after(
        self, prefix: str, start_after: str = "", page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[LandingObject]:
        """Objects whose key starts with ``prefix`` and sorts after ``start_after``, in key order.

        Pages of ``page_size`` keys are fetched lazily: a caller that stops iterating at the end of
        a page causes no further request. ``prefix`` need not end at a ``/``.
        """
        ...
