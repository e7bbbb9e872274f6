"""What the landing sensor asks the Dagster instance, each question in one or a few queries.

* provenance: per day and table, the ``landing_etag`` the source asset's latest materialization
  recorded (and that materialization's storage id), looked up for many days at once
  (``asset_partitions`` in chunks of ``DAYS_PER_QUERY``), or read incrementally from a storage-id
  position (only materializations newer than the last tick's);
* run outcomes: for a set of run keys, whether their runs (with Dagster's own retries, which keep
  the ``awo/landing_request`` tag) are in flight, succeeded or failed: one query per
  ``KEYS_PER_QUERY`` keys.

Only public instance methods are used (``fetch_materializations``, ``get_run_records``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import dagster as dg

from ..constants import (
    ASSET_GROUP_LABS,
    ASSET_PREFIX_SOURCE,
    LANDING_ETAG_METADATA_KEY,
    LANDING_REQUEST_TAG,
)
from ..landing.paths import LANDING_TABLES
from .cursor import Recorded
from .ingestion_plan import MISSING, RunOutcome, RunState

DAYS_PER_QUERY = 500  # partition keys per query (SQL parameter limits)
KEYS_PER_QUERY = 100
PAGE = 1000


def source_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE, table])


def _etag(record: dg.EventLogRecord) -> str | None:
    materialization = record.asset_materialization
    value = materialization.metadata.get(LANDING_ETAG_METADATA_KEY) if materialization else None
    return None if value is None else str(value.value)


def fetch_all(
    instance: dg.DagsterInstance,
    records_filter: dg.AssetRecordsFilter,
    ascending: bool = False,
    on_query: Callable[[], None] = lambda: None,
) -> Iterator[dg.EventLogRecord]:
    """Every materialization record the filter matches, a page (one query) at a time."""
    cursor = None
    while True:
        on_query()
        result = instance.fetch_materializations(
            records_filter, limit=PAGE, cursor=cursor, ascending=ascending
        )
        yield from result.records
        if not result.has_more:
            return
        cursor = result.cursor


class InstanceRecords:
    """The instance's answers for the landing sensor; ``queries`` counts the calls made."""

    def __init__(self, instance: dg.DagsterInstance, tables: Sequence[str] = LANDING_TABLES):
        self.instance = instance
        self.tables = tuple(tables)
        self.queries = 0

    def _fetch(
        self, records_filter: dg.AssetRecordsFilter, ascending: bool
    ) -> Iterator[dg.EventLogRecord]:
        return fetch_all(self.instance, records_filter, ascending, on_query=self._count)

    def _count(self) -> None:
        self.queries += 1

    def latest_storage_id(self) -> int:
        """The newest source materialization's storage id (0 if none): where reading starts."""
        newest = 0
        for table in self.tables:
            self.queries += 1
            records = self.instance.fetch_materializations(source_key(table), limit=1).records
            newest = max([newest, *(r.storage_id for r in records)])
        return newest

    def provenance_after(self, position: int) -> tuple[list[tuple[str, str, str | None, int]], int]:
        """Source materializations newer than ``position``: (table, day, etag, storage id)."""
        events, newest = [], position
        for table in self.tables:
            records_filter = dg.AssetRecordsFilter(source_key(table), after_storage_id=position)
            for record in self._fetch(records_filter, ascending=True):
                newest = max(newest, record.storage_id)
                if record.partition_key:
                    events.append((table, record.partition_key, _etag(record), record.storage_id))
        return events, newest

    def provenance_of(self, days: Sequence[str]) -> dict[str, Recorded]:
        """Per day, per table: what the latest materialization recorded."""
        found: dict[str, Recorded] = {}
        wanted = sorted(set(days))
        for start in range(0, len(wanted), DAYS_PER_QUERY):
            chunk = wanted[start : start + DAYS_PER_QUERY]
            for table in self.tables:
                records_filter = dg.AssetRecordsFilter(source_key(table), asset_partitions=chunk)
                for record in self._fetch(records_filter, ascending=False):  # newest first
                    day = found.setdefault(record.partition_key, {})
                    day.setdefault(table, (_etag(record), record.storage_id))
        return found

    def run_outcomes(self, keys: Sequence[str]) -> Mapping[str, RunOutcome]:
        """Per run key: the state of the runs carrying it (MISSING when there are none)."""
        runs: dict[str, list[dg.RunRecord]] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), KEYS_PER_QUERY):
            chunk = unique[start : start + KEYS_PER_QUERY]
            self.queries += 1
            filters = dg.RunsFilter(tags={LANDING_REQUEST_TAG: chunk})
            for record in self.instance.get_run_records(filters=filters):
                runs.setdefault(record.dagster_run.tags[LANDING_REQUEST_TAG], []).append(record)
        return {key: outcome_of(runs[key]) if key in runs else MISSING for key in unique}


def outcome_of(records: Sequence[dg.RunRecord]) -> RunOutcome:
    """One request's runs (the first and Dagster's retries of it) as one outcome."""
    latest = max(records, key=lambda r: r.create_timestamp)
    for record in records:
        if record.dagster_run.status == dg.DagsterRunStatus.SUCCESS:
            return RunOutcome(RunState.SUCCEEDED, record.dagster_run.run_id, record.end_time)
    for record in records:
        run = record.dagster_run
        if not run.is_finished or run.is_complete_and_waiting_to_retry:
            return RunOutcome(RunState.IN_FLIGHT, run.run_id)
    ended = max((r.end_time or r.update_timestamp.timestamp()) for r in records)
    return RunOutcome(RunState.FAILED, latest.dagster_run.run_id, ended)
