"""The embedded instance's event log: Dagster's SQLite storage, writing a batch of asset events in
one transaction per database instead of one per event.

Why: a range run stores two asset events per asset and day (ASSET_MATERIALIZATION_PLANNED when
the run is created, ASSET_MATERIALIZATION after the write), and ``SqliteEventLogStorage`` stores
each with its own engine, connection and commit, in the run's database and again in the index
database: a 365-day run of the labs graph stores about 6,000 of them (``bench/backfill.py
--profile`` counts them; the README's benchmarks say what batching saves). Dagster already hands
such events over in batches when ``DAGSTER_EVENT_BATCH_SIZE`` is set, and ``dagster_postgres``
writes a batch at once; Dagster's SQLite storage only loops. This class writes each run of
consecutive asset events of one run the way ``store_event`` writes one (the same statements, in
the same order), in one transaction on each database; anything else
goes to ``store_event`` as before.

It is configured for the project's Dagster home by ``dagster_home.py`` (``event_log_storage``),
and it turns Dagster's batching on for the processes that use it (``DAGSTER_EVENT_BATCH_SIZE``,
unless set: ``0`` turns it off).

Private Dagster API, on purpose (there is no public way to batch SQLite writes):
``SqliteEventLogStorage`` and its ``prepare_insert_event``, ``run_connection``,
``index_transaction``, ``_store_asset_event_tags`` and ``_store_asset_event``, the calls
``SqliteEventLogStorage.store_event`` itself makes (dagster_postgres's ``store_event_batch`` uses
them too). ``tests/test_event_log_storage.py`` holds what the instance answers equal to Dagster's
own storage for the same runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result

BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
# Dagster stores a batch when it is complete or this many events are buffered (a run of 365 days
# x 8 assets buffers one batch per asset).
DEFAULT_BATCH_SIZE = "1000"


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose ``store_event_batch`` writes asset events together."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data)
        os.environ.setdefault(BATCH_SIZE_VARIABLE, DEFAULT_BATCH_SIZE)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> BatchedSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        for group in _asset_event_groups(events):
            if len(group) == 1:
                self.store_event(group[0])
            else:
                self._store_asset_events(group)

    def _store_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """What ``store_event`` does for each asset event, one transaction per database."""
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            event_ids = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    event_ids.append(result.inserted_primary_key[0])
            if any(event_id is None for event_id in event_ids):
                raise RuntimeError("Cannot store asset event tags for null event id.")
            self._store_asset_event_tags(conn, list(events), event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)


def _asset_event_groups(events: Sequence[EventLogEntry]) -> Iterator[list[EventLogEntry]]:
    """``events`` in order, split into runs of asset events of one run (written together) and
    single other events."""
    group: list[EventLogEntry] = []
    for event in events:
        if _is_asset_event(event) and (not group or group[0].run_id == event.run_id):
            group.append(event)
            continue
        if group:
            yield group
        group = [event] if _is_asset_event(event) else []
        if not group:
            yield [event]
    if group:
        yield group


def _is_asset_event(event: EventLogEntry) -> bool:
    return event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS
