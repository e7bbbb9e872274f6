"""A wrong bucket, wrong keys or an unreachable endpoint fail at the start of the run, in one
sentence naming the endpoint or bucket and what to check, instead of S3A's retries and stack."""

from __future__ import annotations

import re
import socket
from dataclasses import replace

import dagster as dg
import pytest

from adventureworks_orchestration.storage.s3 import (
    ObjectStoreError,
    check_buckets,
    ensure_buckets,
)

from .conftest import make_settings
from .pipeline_helpers import materialize_range


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _error_text(result: dg.ExecuteInProcessResult) -> str:
    texts = []
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        while error is not None:
            texts.append(error.message)
            error = error.cause
    return "\n".join(texts)


@pytest.fixture
def store(s3_store):
    ensure_buckets(s3_store, ["failures-landing"])
    return replace(s3_store, warehouse_bucket="no-such-bucket", landing_bucket="failures-landing")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, r"bucket 'no-such-bucket' does not exist at http://127\.0\.0\.1:\d+"),
        (
            {"secret_access_key": "wrong"},
            r"refused \(403\): check AWS_ACCESS_KEY_ID and AWS_SECRET",
        ),
        ({"endpoint": "UNREACHABLE"}, r"cannot reach the S3 endpoint http://127\.0\.0\.1:\d+"),
    ],
    ids=["missing-bucket", "wrong-secret", "unreachable-endpoint"],
)
def test_run_fails_at_start_with_one_clear_sentence(
    tmp_path, instance, spark, store, change, expected
):
    if change.get("endpoint") == "UNREACHABLE":
        change = {"endpoint": f"http://127.0.0.1:{_unused_port()}"}
    settings = make_settings(tmp_path, storage="s3", s3=replace(store, **change))

    with pytest.raises(ObjectStoreError, match=expected):
        check_buckets(settings.s3, [settings.s3.warehouse_bucket])
    result = materialize_range(settings, instance, "2024-03-01", "2024-03-02", raise_on_error=False)

    assert not result.success
    text = _error_text(result)
    assert re.search(expected, text), text
    steps = [e for e in result.all_events if e.event_type_value == "STEP_START"]
    assert steps == [], "no step started: the check runs before any Spark work"


def test_missing_credentials_are_named(tmp_path):
    settings = make_settings(tmp_path, storage="s3")
    with pytest.raises(ObjectStoreError, match="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        check_buckets(settings.s3, ["warehouse"])
