"""Per asset: the newest day written, late days against their deadline (landing files on the
source assets), and failing checks. Exit code 1 when anything is late or failing, so cron or CI
can use it.

Freshness is judged at the moment of the command (or --at); the other checks are their latest
results on the project's Dagster instance.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

from ..constants import ASSET_GROUP_LABS, ASSET_PREFIX_SOURCE
from ..settings import Settings
from .parser import fail

NAME = "status"
SOURCE_PREFIX = f"{ASSET_GROUP_LABS}/{ASSET_PREFIX_SOURCE}/"
HELP = "late days and failing checks per asset; exit 1 if any"


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2024-03-20T07:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="judge freshness at this time (ISO, UTC unless it says; default: now)",
    )


def _quarantined_recently(settings: Settings, now: dt.datetime):  # noqa: ANN202
    """asset -> landing rows quarantined in the freshness lookback's days before ``now`` (source
    assets only; None for the others)."""
    from ..landing.quarantine import quarantine_counts

    days = [
        (now.date() - dt.timedelta(days=back)).isoformat()
        for back in range(1, settings.freshness_lookback_days + 1)
    ]
    counts = quarantine_counts(settings, days=days)

    def of(asset: str) -> int | None:
        table = asset.removeprefix(SOURCE_PREFIX)
        if not asset.startswith(SOURCE_PREFIX) or table not in counts:
            return None
        return sum(counts[table].values())

    return of


def run(args: argparse.Namespace, settings: Settings) -> int:
    now = args.at or dt.datetime.now(dt.UTC)
    from .runs import dagster_home

    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    import dagster as dg

    from ..checks.freshness_check import freshness_targets
    from ..checks.status_report import collect_status, exit_code, render
    from ..definitions import build_definitions
    from ..landing.listing import build_landing_lister

    try:
        graph = build_definitions(settings).resolve_asset_graph()
        targets = freshness_targets(graph.get_all_asset_keys(), settings)
    except ValueError as exc:  # a deadline that is not a cron
        fail(str(exc))
    with dg.DagsterInstance.get() as instance:
        rows = collect_status(
            targets,
            list(graph.asset_check_keys),
            instance,
            build_landing_lister(settings),
            settings,
            now,
            quarantined=_quarantined_recently(settings, now),
        )
    print(render(rows, now))
    return exit_code(rows)
