"""Argument types and the day-range options shared by several commands."""

from __future__ import annotations

import argparse
import datetime as dt

from ..partitions.days import parse_day


def day(text: str) -> dt.date:
    """``--start 2024-13-01`` fails with one line naming the value, not a traceback."""
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def add_sample_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``demo`` and ``generate``: which days, how much data, overwrite or not."""
    parser.add_argument("--days", type=positive_int, default=7, metavar="N", help="number of days")
    parser.add_argument(
        "--start",
        type=day,
        metavar="YYYY-MM-DD",
        help="first day (default: the partitions' first day, $AWO_PARTITIONS_START)",
    )
    parser.add_argument(
        "--bookings-per-day",
        type=positive_int,
        default=3000,
        metavar="N",
        help="bookings generated per day",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=42,
        metavar="N",
        help="random seed: the same seed gives the same files",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="add hand-made bad rows to every day (each kind once) for the quarantine to catch, "
        "and hold back the last day's bookings file as a late file (with 2 days or more)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace landing files that already exist (default: keep them and say so)",
    )


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """``--format``: the table format of this run's assets (those without one of their own)."""
    parser.add_argument(
        "--format",
        choices=["csv", "delta"],
        help="table format of the assets (default: $AWO_TABLE_FORMAT, csv)",
    )
