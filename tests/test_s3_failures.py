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
    check_conditional_writes,
    ensure_buckets,
    s3_client,
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
    tmp_path, instance, spark, store, change, expected, monkeypatch
):
    if change.get("endpoint") == "UNREACHABLE":
        change = {"endpoint": f"http://127.0.0.1:{_unused_port()}"}
    settings = make_settings(tmp_path, storage="s3", s3=replace(store, **change))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", settings.s3.secret_access_key)  # runs read it

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


def test_a_store_that_honours_conditional_writes_passes_the_probe_and_keeps_nothing(s3_store):
    ensure_buckets(s3_store, ["probe-honours"])
    check_conditional_writes(s3_store, "probe-honours")
    listed = s3_client(s3_store).list_objects_v2(Bucket="probe-honours")
    assert listed.get("KeyCount", 0) == 0, "the probe object is deleted"


@pytest.mark.parametrize("dropped", [("IfNoneMatch",), ("IfMatch",), ("IfNoneMatch", "IfMatch")])
def test_a_store_that_ignores_conditional_writes_is_refused_naming_the_header(
    s3_store, monkeypatch, dropped
):
    """What an S3 API without conditional writes does: it stores the object anyway. The real
    client is used, with the headers removed before the request is sent."""
    import adventureworks_orchestration.storage.s3 as s3_module

    real_client = s3_module.s3_client

    def client_that_drops_headers(*args, **kwargs):
        client = real_client(*args, **kwargs)
        put_object = client.put_object

        def put_without_conditions(**params):
            for name in dropped:
                params.pop(name, None)
            return put_object(**params)

        client.put_object = put_without_conditions
        return client

    monkeypatch.setattr(s3_module, "s3_client", client_that_drops_headers)
    ensure_buckets(s3_store, ["probe-ignores"])
    header = {"IfNoneMatch": "If-None-Match", "IfMatch": "If-Match"}
    expected = ", ".join(header[name] for name in ("IfNoneMatch", "IfMatch") if name in dropped)
    with pytest.raises(ObjectStoreError, match=f"ignores conditional writes \\({expected}\\)"):
        check_conditional_writes(s3_store, "probe-ignores")
