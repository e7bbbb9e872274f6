"""Run a SeaweedFS S3 server on 127.0.0.1 (data under <data dir>/seaweedfs) for trying
--storage s3 on a laptop. Keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
Ctrl-C or 'kill PID' stops it."""

from __future__ import annotations

import argparse

from ..settings import Settings
from .arguments import positive_int
from .parser import fail

NAME = "s3-server"
HELP = "run a SeaweedFS S3 server on 127.0.0.1 for trying the S3 storage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=positive_int, metavar="PORT", default=8333, help="the S3 port"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..devtools.s3_server import start_s3_server

    if not (settings.s3.access_key_id and settings.s3.secret_access_key):
        fail("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the server")
    server = start_s3_server(
        settings.data_dir / "seaweedfs",
        settings.s3.access_key_id,
        settings.s3.secret_access_key,
        s3_port=args.port,
    )
    print(f"SeaweedFS S3 at {server.endpoint} (data in {server.data_dir}); Ctrl-C stops it.")
    print(f"  export AWS_ENDPOINT={server.endpoint} AWO_STORAGE=s3", flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
