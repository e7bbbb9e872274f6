"""The commands ``awo`` knows, in the order ``awo --help`` lists them: one line per command."""

from __future__ import annotations

from types import ModuleType

from . import backfill, buckets, demo, generate, history, quarantine, restore, s3_server, status, ui

COMMANDS: tuple[ModuleType, ...] = (
    demo, generate, backfill, status, quarantine, history, restore, ui, buckets, s3_server,
)  # fmt: skip
