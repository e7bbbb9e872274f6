"""Create the warehouse and landing buckets named by AWO_S3_BUCKET and AWO_LANDING_BUCKET at
AWS_ENDPOINT (existing buckets are left as they are), then check both can be used.

Refuses the example secrets of .env.example first (example_secrets.py): in the compose stack
every Dagster service waits for this command to succeed."""

from __future__ import annotations

import argparse

from ..settings import Settings

NAME = "create-buckets"
HELP = "create the S3 buckets the settings name"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: everything comes from the S3 settings."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    from ..example_secrets import ExampleSecretsError, refuse_example_secrets
    from ..storage.s3 import check_buckets, ensure_buckets
    from .parser import fail

    try:
        refuse_example_secrets()
    except ExampleSecretsError as exc:
        fail(str(exc))
    buckets = [settings.s3.warehouse_bucket, settings.s3.landing_bucket]
    created = ensure_buckets(settings.s3, buckets)
    check_buckets(settings.s3, buckets)
    print(f"buckets at {settings.s3.endpoint}: {', '.join(buckets)} (created: {created or 'none'})")
    return 0
