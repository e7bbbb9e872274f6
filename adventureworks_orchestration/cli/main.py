"""``awo``'s entry point: parse, build the settings, run the command, say failures in one line."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from ..settings import settings_from_env
from .parser import PROG, build_parser, misplaced_option
from .registry import COMMANDS


def version() -> str:
    """``awo 0.1.0 (dagster 1.13.27, pyspark 4.2.0)``, read from the installed metadata only."""
    parts = []
    for name in ("dagster", "pyspark"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} not installed")
    return f"{PROG} {metadata.version('adventureworks-orchestration')} ({', '.join(parts)})"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(COMMANDS, version())
    hint = misplaced_option(parser, argv)
    if hint:
        print(f"{PROG}: {hint}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    # A script's background job starts with Ctrl-C ignored; commands that run until stopped
    # (ui, s3-server) must still stop on `kill PID`.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        settings = settings_from_env()
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    if args.data_dir:
        settings = settings.with_overrides(data_dir=Path(args.data_dir).expanduser().absolute())
    if args.storage:
        settings = settings.with_overrides(storage=args.storage)
    try:
        return args.command.run(args, settings)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if type(exc).__name__ in _ONE_LINE_ERRORS:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 2
        raise


# Errors whose message is already the whole answer (what is wrong and what to do); matched by name
# so that this module does not import boto3 or Spark to catch them.
_ONE_LINE_ERRORS = {"JavaNotFoundError", "ObjectStoreError", "MissingLandingFilesError"}
