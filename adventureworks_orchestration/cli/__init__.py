"""``awo``: the project's own commands, one module per command.

A command is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args,
settings) -> int``; adding one is a line in ``registry.COMMANDS``. Modules import only light
things at the top (argparse, settings, day arithmetic) so ``awo --help`` never loads Dagster,
Spark or boto3; ``run`` imports what it needs.
"""

from .main import main

__all__ = ["main"]
