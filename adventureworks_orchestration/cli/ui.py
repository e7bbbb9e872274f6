"""Start the Dagster UI (webserver, daemon: sensors and schedules run) with 'dg dev', on the
project's Dagster instance, so the runs of 'awo', 'dg launch' and the sensor are in its history.

Ctrl-C or 'kill PID' stops all of it: webserver, daemon, code servers, their sockets and temp
folders.
"""

from __future__ import annotations

import argparse

from ..settings import Settings
from .arguments import positive_int

NAME = "ui"
HELP = "start the Dagster UI on 127.0.0.1 (dg dev) on the project's instance"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=positive_int, metavar="PORT", default=3000, help="the UI's port"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from ..devtools.dagster_dev import find_project_dir, start_dagster_dev
    from ..resources.java import require_java
    from .runs import dagster_home

    require_java()
    home = dagster_home(settings)
    project = find_project_dir() or __import__("pathlib").Path.cwd()
    env = {**os.environ, "AWO_DATA_DIR": str(settings.data_dir), "AWO_STORAGE": settings.storage}
    server = start_dagster_dev(project, home, port=args.port, env=env)
    print(f"Dagster UI at {server.url} (Dagster home {home}); Ctrl-C stops it.", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
