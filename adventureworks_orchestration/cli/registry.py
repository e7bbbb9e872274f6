"""The commands ``awo`` knows, in the order ``awo --help`` lists them: one line per command."""

from __future__ import annotations

from types import ModuleType

from . import backfill, buckets, demo, generate, history, restore, s3_server, ui

COMMANDS: tuple[ModuleType, ...] = (
    demo,
    generate,
    backfill,
    history,
    restore,
    ui,
    buckets,
    s3_server,
)
