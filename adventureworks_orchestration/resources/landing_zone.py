"""The landing zone as a Dagster resource: find, check and read landing files for source assets,
and keep what they reject.

Source assets ask it for a table and a set of days; it checks every file is there and usable
first (``landing.preflight``: a missing, empty or wrongly headed file fails at once, naming the
files, before anything is written) and then reads them all in one Spark scan, as records
(``landing.reader``). It writes the quarantine (``landing.quarantine``) beside the tables, and
reads back what earlier runs stored, for the validation's cross-day and same-day rules.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
from pyspark.sql import DataFrame, SparkSession

from ..landing.listing import LandingLister, LandingObject, LocalLandingLister, S3LandingLister
from ..landing.paths import LANDING_DATASET, landing_file_path
from ..landing.preflight import HEAD_BYTES, LandingFileError, header_problem
from ..landing.quarantine import write_quarantine
from ..landing.reader import read_records
from ..settings import S3Settings
from ..storage.object_store import spark_location
from ..storage.partitioned_table import PartitionedTable, TableOptions, WriteResult
from ..storage.s3 import s3_client
from ..storage.table_formats import DayTable, open_table, stored_format


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
    # where the tables are (the IO manager's root), for the quarantine and stored rows, and the
    # publish protocol's options for the quarantine (the same as the IO manager's)
    warehouse_root: str = "warehouse"
    keep_replaced_minutes: float = 60.0
    lease_seconds: float = 120.0
    lease_wait_seconds: float = 600.0
    # how many days before a run's first day its bookids are checked against (landing.validation)
    duplicate_lookback_days: int = 7
    # the share of a day's landing rows that may be quarantined before quarantine_share fails
    max_quarantine_share: float = 0.05
    # how far from the mean of the days before it (a share of that mean) a day's accepted rows
    # may be before row_count_in_band warns
    row_count_band: float = 0.5

    @property
    def root_uri(self) -> str:
        if "://" in self.root:
            return self.root.rstrip("/")
        return Path(self.root).expanduser().absolute().as_uri()

    def file_uri(self, table: str, day: str) -> str:
        return f"{self.root_uri}/{landing_file_path(table, day)}"

    def _s3(self) -> tuple[object, str, str]:
        """(client, bucket, prefix) of an ``s3a://`` landing root."""
        bucket, _, prefix = self.root[len("s3a://") :].partition("/")
        store = S3Settings(
            endpoint=self.s3_endpoint,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
        )
        return s3_client(store), bucket, prefix.strip("/")

    def lister(self) -> LandingLister:
        if not self.root.startswith("s3a://"):
            return LocalLandingLister(self.root)
        client, bucket, prefix = self._s3()
        return S3LandingLister(client, bucket, prefix)

    def check_files(
        self, files: Mapping[str, Sequence[LandingObject]], columns: Mapping[str, Sequence[str]]
    ) -> list[str]:
        """Every file's problem (see ``landing.preflight``), from its first bytes only."""
        if self.root.startswith("s3a://"):
            client, bucket, prefix = self._s3()

            def head(item: LandingObject) -> bytes:
                key = f"{prefix}/{item.key}" if prefix else item.key
                response = client.get_object(  # type: ignore[attr-defined]
                    Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}"
                )
                return response["Body"].read()
        else:
            folder = Path(self.root).expanduser()

            def head(item: LandingObject) -> bytes:
                with open(folder / item.key, "rb") as handle:
                    return handle.read(HEAD_BYTES)

        work = [(table, item) for table, items in files.items() for item in items]

        def check(entry: tuple[str, LandingObject]) -> str:
            table, item = entry
            data = head(item) if item.size else b""
            return header_problem(
                table, f"{self.root_uri}/{item.key}", item.size, data, columns[table]
            )

        with ThreadPoolExecutor(max_workers=16) as pool:
            return [problem for problem in pool.map(check, work) if problem]

    def find_files(self, table: str, days: Sequence[str]) -> list[LandingObject]:
        """The landing files of ``table`` for ``days``: one listing from the first day on."""
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
        return [found[key] for key in sorted(found)]

    def read_records(
        self,
        spark: SparkSession,
        files: Sequence[LandingObject],
        columns: Sequence[str],
        partition_column: str,
    ) -> DataFrame:
        """Every record of ``files`` in one Spark scan (see ``landing.reader``)."""
        uris = [spark_location(f"{self.root_uri}/{item.key}") for item in files]
        return read_records(spark, uris, columns, self.root_uri, partition_column)

    @property
    def warehouse_uri(self) -> str:
        if "://" in self.warehouse_root:
            return self.warehouse_root.rstrip("/")
        return Path(self.warehouse_root).expanduser().absolute().as_uri()

    def _options(self) -> TableOptions:
        return TableOptions(
            keep_replaced=dt.timedelta(minutes=self.keep_replaced_minutes),
            lease_seconds=self.lease_seconds,
            lease_wait_seconds=self.lease_wait_seconds,
        )

    def write_quarantine(
        self,
        frame: DataFrame,
        table: str,
        days: Sequence[str],
        run_id: str | None = None,
        *,
        rows: int | None = None,
    ) -> WriteResult:
        """Replace ``days`` of ``table``'s quarantine with ``frame`` (``landing.quarantine``;
        ``rows``: its row count, if known)."""
        return write_quarantine(
            frame, self.warehouse_uri, table, days, self._options(), run_id, rows=rows
        )

    def read_stored(
        self,
        spark: SparkSession,
        asset_path: Sequence[str],
        partition_column: str,
        days: Sequence[str],
    ) -> tuple[DataFrame | None, list[str]]:
        """The rows an asset has stored for those of ``days`` it holds, and which days those are,
        in whichever format the asset's folder holds (CSV or Delta: ``storage.table_formats``).
        """
        root, name = "/".join([self.warehouse_uri, *asset_path]), "/".join(asset_path)
        table: DayTable = PartitionedTable(
            spark, root, partition_column, options=self._options(), name=name
        )
        if stored_format(table.store) == "delta":
            table = open_table(spark, root, partition_column, "delta", name=name)
        held = sorted(set(days) & set(table.stored_days()))
        return (table.read(held) if held else None), held
