"""The argument parser: help with defaults, one-line errors, and misplaced options pointed out."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

PROG = "awo"
DESCRIPTION = (
    "AdventureWorks orchestration: sample data, runs and the UI of the day-partitioned labs "
    "graph (Dagster + PySpark)."
)
EPILOG = "Run 'awo COMMAND --help' for a command's options. Settings: AWO_* variables (README)."


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks and shows each option's default, unless its help
    already says it or there is none to show (a flag, an option that falls back to a setting)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS)
        if shown and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line, naming the command's ``--help``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser(commands: Sequence[ModuleType], version: str) -> Parser:
    parser = Parser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action="version", version=version)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder: landing files, warehouse, Dagster home (default: $AWO_DATA_DIR, ./data)",
    )
    parser.add_argument(
        "--storage",
        choices=["local", "s3"],
        help="where data lives (default: $AWO_STORAGE, local)",
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        type=str.upper,
        help="run logs: INFO prints a line per asset; DEBUG every Dagster event",
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command_name", required=True, metavar="COMMAND"
    )
    for command in commands:
        sub = subparsers.add_parser(
            command.NAME,
            help=command.HELP,
            description=command.__doc__,
            formatter_class=HelpFormatter,
        )
        command.add_arguments(sub)
        sub.set_defaults(command=command)
    return parser


def misplaced_option(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """A one-line hint when an option sits on the wrong side of the command, else None.

    ``awo demo --data-dir x`` and ``awo --days 3 demo`` are both refused by argparse with an
    unhelpful message; this says where the option goes and shows the corrected command.
    """
    top = _options(parser)
    commands = _subcommands(parser)
    position = next((i for i, token in enumerate(argv) if token in commands), None)
    if position is None:
        return None
    name = argv[position]
    own = _options(commands[name])
    for index, token in enumerate(argv):
        option = token.split("=", 1)[0]
        if not option.startswith("-") or option in ("-h", "--help"):
            continue
        if index > position and option in top and option not in own:
            moved = _move(argv, index, top[option], to=0)
            return (
                f"{option} is an option of awo itself, so it goes before the command: "
                f"{PROG} {shlex.join(moved)}"
            )
        if index < position and option in own and option not in top:
            moved = _move(argv, index, own[option], to=len(argv))
            return (
                f"{option} is an option of '{PROG} {name}', so it goes after the command: "
                f"{PROG} {shlex.join(moved)}"
            )
    return None


def _options(parser: argparse.ArgumentParser) -> dict[str, int]:
    """Option string -> how many values follow it."""
    found = {}
    for action in parser._actions:  # argparse offers no public listing of its actions
        takes = 0 if action.nargs == 0 else 1
        for option in action.option_strings:
            found[option] = takes
    return found


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _move(argv: Sequence[str], index: int, takes: int, to: int) -> list[str]:
    width = 1 if "=" in argv[index] else 1 + takes
    moving = list(argv[index : index + width])
    rest = list(argv[:index]) + list(argv[index + width :])
    return moving + rest if to == 0 else rest + moving


def fail(message: str) -> NoReturn:
    """End the command with one line on stderr and exit code 2 (a usage error)."""
    print(f"{PROG}: {message}", file=sys.stderr)
    raise SystemExit(2)
