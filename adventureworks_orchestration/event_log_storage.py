"""The embedded instance's event log: Dagster's SQLite storage, writing a batch of asset events in
one transaction per database instead of one per event.

Why: a range run stores two asset events per asset and day (ASSET_MATERIALIZATION_PLANNED when
the run is created, ASSET_MATERIALIZATION after the write), and ``SqliteEventLogStorage`` stores
each with its own engine, connection and commit, in the run's database and again in the index
database: a 365-day run of the labs graph stores about 6,000 of them (``bench/backfill.py
--profile`` counts them; the README's benchmarks say what batching saves). Dagster already hands
such events over in batches when ``DAGSTER_EVENT_BATCH_SIZE`` is set, and ``dagster_postgres``
writes a batch of materializations in one statement; Dagster's SQLite storage only loops. This
class writes each run of consecutive asset events of one run with the statements ``store_event``
uses for each (in the same order within each database: all of the group's rows in the run's
database, then all of its index rows), in one transaction on each database; anything else goes
to ``store_event`` as before.

It is configured for the project's Dagster home by ``dagster_home.py`` (``event_log_storage``),
so every process on that home must be able to import this package. It turns Dagster's batching
on by setting ``DAGSTER_EVENT_BATCH_SIZE`` (unless set; ``0`` turns it off) in the environment of
the process that loads it: every Dagster instance in that process, and its children, then
batches (Dagster's own storages by storing a batch one event at a time, as without it).

What batching changes besides speed (Dagster's behavior, not this class's): Dagster keeps a
batch in memory until it is complete, so a process killed while it reports a range's
materializations (after the days were published) loses all of that asset's materialization
events of the run, where without batching it loses those of the days not reached yet; those
days then show as not materialized until a run writes them again.

Private Dagster API, on purpose (there is no public way to batch SQLite writes):
``SqliteEventLogStorage`` and its ``prepare_insert_event``, ``run_connection``,
``index_transaction``, ``_store_asset_event_tags`` and ``_store_asset_event``, the calls
``SqliteEventLogStorage.store_event`` itself makes (dagster_postgres's ``store_event_batch`` uses
the last two too). ``tests/test_event_log_storage.py`` holds what the instance answers equal to
Dagster's own storage for the same runs, also when a batch's write fails half way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

from dagster import DagsterInvariantViolationError
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result

BATCH_SIZE_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
# Dagster stores a batch when it is complete or this many events are buffered: a range run's
# materializations are one batch per asset (365 days: one), its planned events one batch for the
# whole run (365 days x 8 assets: three of 1000, 1000 and 920).
DEFAULT_BATCH_SIZE = "1000"

logger = logging.getLogger(__name__)


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose ``store_event_batch`` writes asset events together."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        super().__init__(base_dir, inst_data)
        os.environ.setdefault(BATCH_SIZE_VARIABLE, DEFAULT_BATCH_SIZE)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> BatchedSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Asset events in groups, anything else one by one; when a group's write fails, the rest
        of the batch is stored one event at a time, each event once (the group's events that
        are already in the run's database get only their index rows).

        Not covered: an event that is not an asset event (Dagster's ``store_event`` writes it to
        the run's database, then the index) whose write failed is stored again, so one of the
        two may hold it twice; and when storing one event fails too, the exception goes to
        Dagster, which stores the whole batch again one event at a time, so the events stored
        before the failure are stored twice (Dagster's own batch fallback).
        """
        remaining = list(events)
        in_run_database = 0  # of ``remaining``'s first events, the run's database has these
        try:
            for group in _asset_event_groups(events):
                if _is_asset_event(group[0]):
                    self._insert_into_run_database(group)
                    in_run_database = len(group)
                    self._index_asset_events(group)
                else:
                    self.store_event(group[0])
                in_run_database = 0
                del remaining[: len(group)]
        except Exception:
            logger.warning(
                "storing %d events as a batch failed; storing them one at a time",
                len(remaining),
                exc_info=True,
            )
            for position, event in enumerate(remaining):
                if position < in_run_database:
                    self._index_asset_events([event])
                elif _is_asset_event(event):
                    self._insert_into_run_database([event])
                    self._index_asset_events([event])
                else:
                    self.store_event(event)

    def _insert_into_run_database(self, events: Sequence[EventLogEntry]) -> None:
        """``store_event``'s first step for ``events`` (one run's), in one transaction."""
        with self.run_connection(events[0].run_id) as conn:
            for event in events:
                conn.execute(self.prepare_insert_event(event))

    def _index_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """``store_event``'s index step for asset ``events``, in one transaction."""
        with self.index_transaction() as conn:
            event_ids = []
            for event in events:
                with db_result(conn, self.prepare_insert_event(event)) as result:
                    event_ids.append(result.inserted_primary_key[0])
            if any(event_id is None for event_id in event_ids):
                raise DagsterInvariantViolationError(
                    "Cannot store asset event tags for null event id."
                )
            self._store_asset_event_tags(conn, list(events), event_ids)
            for event, event_id in zip(events, event_ids, strict=True):
                self._store_asset_event(conn, event, event_id)


def _asset_event_groups(events: Sequence[EventLogEntry]) -> Iterator[list[EventLogEntry]]:
    """``events`` in order: runs of asset events of one run (written together), other events
    one at a time."""
    for (is_asset, _), same in groupby(events, key=lambda e: (_is_asset_event(e), e.run_id)):
        if is_asset:
            yield list(same)
        else:
            yield from ([event] for event in same)


def _is_asset_event(event: EventLogEntry) -> bool:
    return event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS
