"""Put an asset's Delta table back as it was at a version ('awo history ASSET' lists them), or
as it was just before a time, e.g. before a bad run. The restore is a new version: the bad
version stays in the history, and a restore can itself be undone the same way. Downstream
assets are not recomputed: materialize them again for the days the restore changed."""

from __future__ import annotations

import argparse
import datetime as dt

from ..settings import Settings

NAME = "restore"
HELP = "restore an asset's Delta table to a version or to a time"


def timestamp(text: str) -> dt.datetime:
    """ISO 8601; without a zone it is UTC (as 'awo history' shows times)."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time like 2024-03-01T12:00:00 (UTC) or 2024-03-01T12:00:00+01:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("asset", metavar="ASSET", help="asset key, e.g. labs/transformed/bookings")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--version", type=int, metavar="N", help="the version to restore")
    target.add_argument(
        "--before",
        type=timestamp,
        metavar="TIME",
        help="restore the last version committed before TIME (ISO 8601, UTC unless a zone)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..resources.java import require_java
    from ..storage.errors import StorageError
    from .delta_tables import open_delta_table
    from .parser import fail

    require_java()
    table = open_delta_table(settings, args.asset)
    try:
        result = table.restore(version=args.version, before=args.before)
    except StorageError as exc:
        fail(str(exc))
    print(
        f"{table.name}: restored version {result.restored_version} as version {result.version} "
        f"({result.files_restored} file(s) restored, {result.files_removed} removed). "
        "Materialize the downstream assets again for the days it changed."
    )
    return 0
