"""Reads landing files (one CSV per table per day) into a DataFrame that carries each row's day.

Source assets ask it for a table and a set of days; it checks every file is there first (so a
missing day fails at once, naming the files) and then reads them all in one Spark scan.
"""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from ..landing.listing import LandingLister, LandingObject, LocalLandingLister, S3LandingLister
from ..landing.paths import LANDING_DATASET, landing_file_path
from ..landing.reader import read_landing_files
from ..landing.validation import HEAD_BYTES, LandingFileError, check_landing_file
from ..settings import S3Settings
from ..storage.s3 import s3_client


class MissingLandingFilesError(LandingFileError, FileNotFoundError):
    """Some requested table-days have no landing file; the message lists them."""


class LandingZone(dg.ConfigurableResource):
    """Where landing files are: a local folder or an ``s3a://bucket[/prefix]`` URI (with the
    store's endpoint and keys, for listing them the way the landing sensor does)."""

    root: str
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    @property
    def root_uri(self) -> str:
        if "://" in self.root:
            return self.root.rstrip("/")
        return Path(self.root).expanduser().absolute().as_uri()

    def file_uri(self, table: str, day: str) -> str:
        return f"{self.root_uri}/{landing_file_path(table, day)}"

    def lister(self) -> LandingLister:
        if not self.root.startswith("s3a://"):
            return LocalLandingLister(self.root)
        bucket, _, prefix = self.root[len("s3a://") :].partition("/")
        store = S3Settings(
            endpoint=self.s3_endpoint,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
        )
        return S3LandingLister(s3_client(store), bucket, prefix)

    def find_files(
        self, table: str, days: Sequence[str], columns: Sequence[str] | None = None
    ) -> list[LandingObject]:
        """The landing files of ``table`` for ``days``: one listing from the first day on.

        With ``columns``, each file's header line is checked too (``landing.validation``), so an
        empty file or a wrong header fails here, naming the file, before Spark reads anything.
        """
        wanted = {landing_file_path(table, day): day for day in days}
        prefix = f"{LANDING_DATASET}/{table}/"
        first = min(wanted)
        found = {
            item.key: item
            for item in self.lister().list_after(prefix, start_after=first[: -len(".csv")])
            if item.key in wanted
        }
        missing = [self.file_uri(table, wanted[key]) for key in sorted(set(wanted) - set(found))]
        if missing:
            raise MissingLandingFilesError(
                f"{len(missing)} landing file(s) missing for {table}: "
                + ", ".join(missing[:10])
                + (" ..." if len(missing) > 10 else "")
                + ". Land them (for sample data: awo generate) or choose days whose files are "
                "all there, and run again."
            )
        files = [found[key] for key in sorted(found)]
        for item in files if columns is not None else []:
            head = self._head(item) if item.size else b""
            check_landing_file(
                table, self.file_uri(table, wanted[item.key]), item.size, head, columns
            )
        return files

    def _head(self, item: LandingObject) -> bytes:
        """The first bytes of a landing file (its header line), without reading the rest."""
        if not self.root.startswith("s3a://"):
            with open(Path(self.root).expanduser() / item.key, "rb") as handle:
                return handle.read(HEAD_BYTES)
        bucket, _, prefix = self.root[len("s3a://") :].partition("/")
        store = S3Settings(
            endpoint=self.s3_endpoint,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
        )
        key = f"{prefix.strip('/')}/{item.key}" if prefix.strip("/") else item.key
        response = s3_client(store).get_object(
            Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}"
        )
        return response["Body"].read()

    def read(
        self,
        spark: SparkSession,
        files: Sequence[LandingObject],
        schema: StructType,
        partition_column: str,
    ) -> DataFrame:
        """All ``files`` in one Spark scan (see ``landing.reader``)."""
        uris = [f"{self.root_uri}/{item.key}" for item in files]
        return read_landing_files(spark, uris, schema, partition_column)
