"""A boto3 client for the S3-compatible store, and checks that fail early with a clear answer.

Spark's S3A connector retries for minutes and then prints a JVM stack trace when the endpoint,
the credentials or a bucket is wrong. One cheap HEAD per bucket before Spark starts turns each of
those into one sentence naming the endpoint, the bucket and what to check.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from ..settings import ACCESS_KEY_ID_VARIABLE, SECRET_ACCESS_KEY_VARIABLE, S3Settings


class ObjectStoreError(RuntimeError):
    """The store cannot be used as configured; the message says what to check."""


def without_keys(text: str, s3: S3Settings) -> str:
    """``text`` with each S3 key replaced by the name of its variable (a store's error message
    may quote what it was sent). Keys shorter than 4 characters are left: they are no secret and
    replacing them would garble the sentence."""
    for name, value in (
        (SECRET_ACCESS_KEY_VARIABLE, s3.secret_access_key),
        (ACCESS_KEY_ID_VARIABLE, s3.access_key_id),
    ):
        if value and len(value) >= 4:
            text = text.replace(value, f"<{name}>")
    return text


def _error(s3: S3Settings, message: str) -> ObjectStoreError:
    return ObjectStoreError(without_keys(message, s3))


def s3_client(s3: S3Settings, *, connect_timeout: float = 5, read_timeout: float = 60):  # noqa: ANN201
    """A path-style client (what non-AWS stores expect) with short connection timeouts."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name=s3.region,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=s3.secret_access_key,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def check_buckets(s3: S3Settings, buckets: Iterable[str]) -> None:
    """Raise ``ObjectStoreError`` naming the endpoint and bucket unless every bucket is usable."""
    endpoint = s3.endpoint or "AWS S3 (no AWS_ENDPOINT set)"
    if not (s3.access_key_id and s3.secret_access_key):
        raise _error(
            s3, f"no S3 credentials for {endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    client = s3_client(s3, connect_timeout=3, read_timeout=10)
    for bucket in buckets:
        try:
            client.head_bucket(Bucket=bucket)
        except EndpointConnectionError:
            raise _error(
                s3,
                f"cannot reach the S3 endpoint {endpoint}: is the server running, and is "
                "AWS_ENDPOINT right (scheme, host and port)?",
            ) from None
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                raise _error(
                    s3,
                    f"bucket {bucket!r} does not exist at {endpoint}: create it "
                    "('awo create-buckets') or set AWO_S3_BUCKET / AWO_LANDING_BUCKET",
                ) from None
            if status in (401, 403):
                raise _error(
                    s3,
                    f"access to bucket {bucket!r} at {endpoint} was refused ({status}): check "
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                ) from None
            raise _error(s3, f"bucket {bucket!r} at {endpoint}: {exc}") from None
        except BotoCoreError as exc:
            raise _error(s3, f"cannot use the S3 endpoint {endpoint}: {exc}") from None


CONDITIONAL_WRITE_PROBE_PREFIX = "_awo/conditional-write-probe"


def check_conditional_writes(s3: S3Settings, bucket: str) -> None:
    """Raise ``ObjectStoreError`` unless the store refuses a put-if-absent of an existing key
    (``If-None-Match: *``) and a put whose ``If-Match`` etag is stale.

    Table commits (``commit_log.py``) and write leases (``lease.py``) rest on both: a store that
    ignores the headers stores the second writer's manifest over the first's, and both runs
    report success. Four small requests on a probe key, deleted afterwards.
    """
    endpoint = s3.endpoint or "AWS S3"
    client = s3_client(s3, connect_timeout=3, read_timeout=10)
    key = f"{CONDITIONAL_WRITE_PROBE_PREFIX}/{uuid.uuid4().hex}"
    ignored = []
    try:
        client.put_object(Bucket=bucket, Key=key, Body=b"first", IfNoneMatch="*")
        attempts = {
            "If-None-Match": {"IfNoneMatch": "*"},
            "If-Match": {"IfMatch": '"00000000000000000000000000000000"'},
        }
        for header, condition in attempts.items():
            try:
                client.put_object(Bucket=bucket, Key=key, Body=b"second", **condition)
                ignored.append(header)
            except ClientError as exc:
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if status == 501:
                    ignored.append(f"{header} (not implemented)")
                elif status not in (409, 412):
                    raise
    except (ClientError, BotoCoreError) as exc:
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        check = (
            f" (refused, {status}): check {ACCESS_KEY_ID_VARIABLE} and {SECRET_ACCESS_KEY_VARIABLE}"
            if status in (401, 403)
            else ""
        )
        raise _error(
            s3, f"cannot write a probe object to bucket {bucket!r} at {endpoint}{check}: {exc}"
        ) from None
    finally:
        try:
            client.delete_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError):
            pass
    if ignored:
        raise _error(
            s3,
            f"the S3 store at {endpoint} ignores conditional writes ({', '.join(ignored)}) in "
            f"bucket {bucket!r}. Table commits rely on them so that two writers can never both "
            "publish; use a store that honours them (AWS S3 does, as do current MinIO and "
            "SeaweedFS releases).",
        )


def s3_settings_from_spark_config(config: dict[str, str]) -> S3Settings:
    """The store a Spark config's S3A keys point at, so the check uses exactly what Spark will."""
    prefix = "spark.hadoop.fs.s3a."
    return S3Settings(
        endpoint=config.get(prefix + "endpoint") or None,
        region=config.get(prefix + "endpoint.region", "us-east-1"),
        access_key_id=config.get(prefix + "access.key") or None,
        secret_access_key=config.get(prefix + "secret.key") or None,
    )


def ensure_buckets(s3: S3Settings, buckets: Iterable[str]) -> list[str]:
    """Create the buckets that do not exist yet; returns the ones created."""
    client = s3_client(s3, connect_timeout=3)
    try:
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    except (BotoCoreError, ClientError) as exc:
        raise _error(
            s3,
            f"cannot list buckets at {s3.endpoint or 'AWS S3'} ({exc}): check AWS_ENDPOINT, "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ) from None
    created = []
    for bucket in buckets:
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
            created.append(bucket)
    return created


def s3_settings_from_session(spark: object) -> S3Settings:
    """The store a running Spark session's S3A settings point at (storage calls made from Python
    then use exactly the endpoint and credentials Spark uses)."""
    conf = spark.sparkContext.getConf()  # type: ignore[attr-defined]
    return s3_settings_from_spark_config(dict(conf.getAll()))
