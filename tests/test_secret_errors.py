"""Every S3 error path that could echo a credential names the variable, never its value: wrong
keys, a wrong endpoint and a missing bucket on the test SeaweedFS server, and a store whose error
message quotes the keys it was sent (stubbed, since SeaweedFS does not)."""

from __future__ import annotations

import socket
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from adventureworks_orchestration.resources.wiring import require_keys_from_environment
from adventureworks_orchestration.storage import s3 as s3_module
from adventureworks_orchestration.storage.s3 import (
    ObjectStoreError,
    check_buckets,
    check_conditional_writes,
    ensure_buckets,
)

from .conftest import make_settings

WRONG_ID = "AKIAWRONGKEYID0000042"
WRONG_SECRET = "wrong-secret-Zq8Xv3Lp9Tn4"


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _assert_names_not_values(message: str, store, *names: str) -> None:
    for name in names:
        assert name in message, message
    for value in (store.access_key_id, store.secret_access_key):
        assert value not in message, message


@pytest.mark.parametrize(
    "change",
    [
        {"access_key_id": WRONG_ID},
        {"secret_access_key": WRONG_SECRET},
        {"access_key_id": WRONG_ID, "secret_access_key": WRONG_SECRET},
    ],
    ids=["wrong-id", "wrong-secret", "both-wrong"],
)
def test_wrong_keys_are_named_not_shown(s3_store, change):
    ensure_buckets(s3_store, ["secret-errors"])
    store = replace(s3_store, **change)
    for call in (
        lambda: check_buckets(store, ["secret-errors"]),
        lambda: ensure_buckets(store, ["secret-errors"]),
        lambda: check_conditional_writes(store, "secret-errors"),
    ):
        with pytest.raises(ObjectStoreError) as raised:
            call()
        _assert_names_not_values(
            str(raised.value), store, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"
        )


def test_a_wrong_endpoint_is_named_not_the_keys(s3_store):
    store = replace(s3_store, endpoint=f"http://127.0.0.1:{_unused_port()}")
    with pytest.raises(ObjectStoreError) as raised:
        check_buckets(store, ["warehouse"])
    _assert_names_not_values(str(raised.value), store, "AWS_ENDPOINT")
    with pytest.raises(ObjectStoreError) as raised:
        ensure_buckets(store, ["warehouse"])
    _assert_names_not_values(str(raised.value), store, "AWS_ENDPOINT", "AWS_SECRET_ACCESS_KEY")


def test_a_missing_bucket_is_named_not_the_keys(s3_store):
    with pytest.raises(ObjectStoreError) as raised:
        check_buckets(s3_store, ["no-such-bucket-secrets"])
    _assert_names_not_values(str(raised.value), s3_store, "AWO_S3_BUCKET")


def test_missing_keys_are_named(tmp_path):
    settings = make_settings(tmp_path, storage="s3")
    with pytest.raises(ObjectStoreError, match="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        check_buckets(settings.s3, ["warehouse"])


class _EchoingClient:
    """A client of a store whose every answer is an error quoting the keys it was sent."""

    def __init__(self, s3) -> None:
        self.echo = f"signed with {s3.access_key_id}:{s3.secret_access_key}"

    def __getattr__(self, operation: str):
        def call(**kwargs):
            error = {"Error": {"Code": "Weird", "Message": self.echo}}
            error["ResponseMetadata"] = {"HTTPStatusCode": 400}
            raise ClientError(error, operation)

        return call


@pytest.fixture
def echoing_store(s3_store, monkeypatch):
    monkeypatch.setattr(s3_module, "s3_client", lambda s3, **kwargs: _EchoingClient(s3))
    return replace(s3_store, access_key_id=WRONG_ID, secret_access_key=WRONG_SECRET)


def test_a_store_that_quotes_the_keys_has_them_replaced_by_their_names(echoing_store):
    for call in (
        lambda: check_buckets(echoing_store, ["warehouse"]),
        lambda: ensure_buckets(echoing_store, ["warehouse"]),
        lambda: check_conditional_writes(echoing_store, "warehouse"),
    ):
        with pytest.raises(ObjectStoreError) as raised:
            call()
        message = str(raised.value)
        assert "<AWS_ACCESS_KEY_ID>:<AWS_SECRET_ACCESS_KEY>" in message, message
        _assert_names_not_values(message, echoing_store)


def test_settings_whose_keys_are_not_the_environments_are_refused_by_name(tmp_path, s3_store):
    settings = make_settings(tmp_path, storage="s3", s3=replace(s3_store, secret_access_key="x1"))
    env = {"AWS_ACCESS_KEY_ID": s3_store.access_key_id, "AWS_SECRET_ACCESS_KEY": "y2-other"}
    with pytest.raises(ValueError) as raised:
        require_keys_from_environment(settings, env)
    message = str(raised.value)
    assert "AWS_SECRET_ACCESS_KEY" in message and "AWS_ACCESS_KEY_ID" not in message
    assert "x1" not in message and "y2-other" not in message


def test_spark_s3a_failures_with_wrong_keys_do_not_quote_them(spark, s3_store):
    """The Java paragraph a run fails with when S3A is refused (keys for one bucket, set the way
    S3A reads per-bucket options) quotes neither key."""
    bucket = "secret-errors-spark"
    ensure_buckets(s3_store, [bucket])
    options = {"access.key": WRONG_ID, "secret.key": WRONG_SECRET}
    for option, value in options.items():
        spark.conf.set(f"fs.s3a.bucket.{bucket}.{option}", value)
    try:
        with pytest.raises(Exception) as raised:  # noqa: PT011 - Py4J's error, whatever its class
            spark.read.csv(f"s3a://{bucket}/any/").collect()
    finally:
        for option in options:
            spark.conf.unset(f"fs.s3a.bucket.{bucket}.{option}")
    text = str(raised.value)
    assert "403" in text or "Forbidden" in text or "AccessDenied" in text, text[:2000]
    assert WRONG_ID not in text and WRONG_SECRET not in text
