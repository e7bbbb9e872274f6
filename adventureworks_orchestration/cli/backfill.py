"""Materialize a range of days as ONE run on the project's Dagster instance (it shows in the UI),
with a line per asset as it finishes and a table at the end.

Unlike 'dg launch --partition-range', the days are checked against the partitions first, and the
run always goes to the project's instance, wherever the command is started from.
"""

from __future__ import annotations

import argparse

from ..settings import Settings
from .arguments import add_format_argument, day
from .days import checked_range
from .parser import fail

NAME = "backfill"
HELP = "materialize days START..END (inclusive) in one run"
ASSET_PREFIX = "labs/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("start", type=day, metavar="START", help="first day, YYYY-MM-DD")
    parser.add_argument("end", type=day, metavar="END", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument(
        "--assets",
        metavar="KEY[,KEY...]",
        help="asset keys, e.g. labs/source/members,labs/transformed/members (default: all)",
    )
    add_format_argument(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.format:
        settings = settings.with_overrides(table_format=args.format)
    days = checked_range(args.start, args.end, settings)
    assets = [key.strip() for key in args.assets.split(",") if key.strip()] if args.assets else None
    from ..resources.java import require_java

    require_java()
    if assets:
        _check_assets(assets, settings)
    from .runs import run_range

    return run_range(settings, days, "awo backfill", args.log_level, assets)


def _check_assets(assets: list[str], settings: Settings) -> None:
    import difflib

    from ..definitions import build_definitions

    graph = build_definitions(settings).resolve_asset_graph()
    known = sorted(key.to_user_string() for key in graph.get_all_asset_keys())
    for asset in assets:
        if asset not in known:
            close = difflib.get_close_matches(asset, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(known)}"
            fail(f"no asset {asset!r}; {hint}")
