"""A table's folder as a key-value store: a local folder or an S3 prefix, one interface for both.

The publish protocol needs exactly four things from storage, and both stores give them:

* **list** every key under a prefix, and **get** / **put** / **delete** small objects;
* a **put that fails if the key exists** (``if_none_match``): the commit of a table version;
* a **put or delete that fails unless the object is still the one we read** (``if_match``): the
  write lease's compare-and-swap;
* a **batched delete** (one request per 1,000 keys on S3), so cleaning up after a write costs a
  constant number of calls however many days it replaced.

On S3 the conditions are the ``If-None-Match: *`` and ``If-Match: <etag>`` headers (AWS S3,
MinIO and SeaweedFS honour both). On a local folder a put is a write to a temporary file, fsync,
and an atomic ``os.replace`` / ``os.link`` (which refuses an existing target); conditional calls
run under an exclusive ``flock`` of a lock file, so they are atomic between processes.

Data files are written by Spark, not through here; this is for listing and deleting them and for
the table's own small JSON records.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from ..settings import S3Settings


class StorageCallError(RuntimeError):
    """A storage call failed for a reason other than its precondition."""


class PreconditionFailed(StorageCallError):  # noqa: N818 - named after the HTTP status it mirrors
    """A conditional put or delete found the object not in the state it required."""


@dataclass(frozen=True)
class StoredObject:
    key: str  # relative to the store's root, "/"-separated
    size: int


class ObjectStore(Protocol):
    uri: str

    def get(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and etag, or None when there is no such key."""
        ...

    def put(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        """Store ``data`` under ``key``; returns the new etag. Raises ``PreconditionFailed``."""
        ...

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        """Remove ``key`` (no error if absent, unless ``if_match`` is given)."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``, at any depth, in no particular order."""
        ...

    def delete_many(self, keys: Iterable[str]) -> int:
        """Remove all ``keys`` in as few calls as the store allows; returns how many."""
        ...

    def make_durable(self, keys: Iterable[str]) -> None:
        """Make files written by someone else (Spark) survive a power loss."""
        ...


# errno values of a file system without hard links (os.link refused, not failed)
NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


class LocalObjectStore:
    """A local folder. Puts are atomic and durable (temporary file, fsync, rename, fsync dir)."""

    LOCK_FILE = ".awo-lock"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.uri = self.root.absolute().as_uri()
        self.calls = 0

    def _path(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> tuple[bytes, str] | None:
        self.calls += 1
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        return data, _etag(data)

    def put(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        self.calls += 1
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            with self._exclusive() if (if_none_match or if_match) else contextlib.nullcontext():
                if if_match is not None:
                    current = self.get(key)
                    if current is None or current[1] != if_match:
                        raise PreconditionFailed(f"{self.uri}/{key} changed since it was read")
                if if_none_match:
                    try:
                        os.link(temporary, target)  # atomic, and refuses an existing target
                    except FileExistsError:
                        raise PreconditionFailed(f"{self.uri}/{key} already exists") from None
                    except OSError as exc:
                        if exc.errno not in NO_HARD_LINKS:
                            raise
                        # exFAT, some FUSE mounts: no hard links. The lock held here serializes
                        # every conditional call on this folder, so check-then-rename is atomic
                        # among writers of this project.
                        if target.exists():
                            raise PreconditionFailed(f"{self.uri}/{key} already exists") from None
                        os.replace(temporary, target)
                else:
                    os.replace(temporary, target)
            _fsync_path(target.parent)
        finally:
            temporary.unlink(missing_ok=True)
        return _etag(data)

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        self.calls += 1
        with self._exclusive() if if_match else contextlib.nullcontext():
            if if_match is not None:
                current = self.get(key)
                if current is None or current[1] != if_match:
                    raise PreconditionFailed(f"{self.uri}/{key} changed since it was read")
            self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        self.calls += 1
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return
        for folder, _, files in os.walk(base):
            relative_folder = Path(folder).relative_to(self.root).as_posix()
            for name in files:
                key = name if relative_folder == "." else f"{relative_folder}/{name}"
                if not key.startswith(prefix) or name == self.LOCK_FILE:
                    continue
                try:
                    size = os.stat(os.path.join(folder, name)).st_size
                except FileNotFoundError:
                    continue  # removed while we walked
                yield StoredObject(key=key, size=size)

    def make_durable(self, keys: Iterable[str]) -> None:
        """fsync each file and each folder that holds one (Spark's local writes do neither).

        In a few threads: a range writes one file per day, and a disk serves many syncs at once.
        """
        paths = [self._path(key) for key in keys]
        folders = {folder for path in paths for folder in list(path.parents)[:3]}
        inside = [f for f in folders if f == self.root or self.root in f.parents]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_fsync_path, paths))
            list(pool.map(_fsync_path, inside))

    def delete_many(self, keys: Iterable[str]) -> int:
        self.calls += 1
        deleted = 0
        folders = set()
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            folders.add(path.parent)
            deleted += 1
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            _remove_empty_folders(folder, stop=self.root)
        return deleted

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / self.LOCK_FILE, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _fsync_path(path: Path) -> None:
    """fsync a file or a folder (a folder's entries: the names of the files in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents while they are empty, never ``stop`` or above it."""
    stop, folder = stop.absolute(), folder.absolute()
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return  # not empty
        folder = folder.parent


class S3ObjectStore:
    """A prefix of an S3 bucket (any S3 API with conditional writes: AWS, MinIO, SeaweedFS)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3a://{bucket}" + (f"/{self.prefix}" if self.prefix else "")
        self.calls = 0

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def get(self, key: str) -> tuple[bytes, str] | None:
        from botocore.exceptions import ClientError

        self.calls += 1
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise StorageCallError(f"cannot read {self.uri}/{key}: {_describe(exc)}") from None
        return response["Body"].read(), response["ETag"]

    def put(
        self, key: str, data: bytes, *, if_none_match: bool = False, if_match: str | None = None
    ) -> str:
        from botocore.exceptions import ClientError

        self.calls += 1
        conditions: dict[str, str] = {}
        if if_none_match:
            conditions["IfNoneMatch"] = "*"
        if if_match is not None:
            conditions["IfMatch"] = if_match
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, **conditions
            )
        except ClientError as exc:
            # 412: the condition did not hold; 409: a concurrent conditional write won the race
            if conditions and _status(exc) in (409, 412):
                raise PreconditionFailed(f"{self.uri}/{key}: {_describe(exc)}") from None
            raise StorageCallError(f"cannot write {self.uri}/{key}: {_describe(exc)}") from None
        return response["ETag"]

    def delete(self, key: str, *, if_match: str | None = None) -> None:
        from botocore.exceptions import ClientError

        self.calls += 1
        conditions = {"IfMatch": if_match} if if_match is not None else {}
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key), **conditions)
        except ClientError as exc:
            if conditions and _status(exc) in (404, 409, 412):
                raise PreconditionFailed(f"{self.uri}/{key}: {_describe(exc)}") from None
            raise StorageCallError(f"cannot delete {self.uri}/{key}: {_describe(exc)}") from None

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        from botocore.exceptions import ClientError

        full = self._key(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=full
            ):
                self.calls += 1
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        continue  # folder markers some tools create
                    yield StoredObject(key=item["Key"][strip:], size=int(item["Size"]))
        except ClientError as exc:
            raise StorageCallError(f"cannot list {self.uri}/{prefix}: {_describe(exc)}") from None

    def make_durable(self, keys: Iterable[str]) -> None:
        """Nothing to do: an S3 object exists only once it is stored durably."""

    def delete_many(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self.calls += 1
            response = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self._key(k)} for k in chunk], "Quiet": True},
            )
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise StorageCallError(
                    f"could not delete {len(errors)} object(s) under {self.uri}, e.g. "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )
        return len(keys)


def _status(exc: Any) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _describe(exc: Any) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')} ({_status(exc)}): {error.get('Message', '')}".strip()


_S3_CLIENTS: dict[tuple, Any] = {}


def spark_location(uri: str) -> str:
    """The same root as Spark must be given it: Hadoop's ``Path`` does not decode percent escapes,
    so ``Path.as_uri()``'s ``file:///My%20Projects`` would make Spark write to a folder literally
    named ``My%20Projects`` while the store looks in ``My Projects``. A local root therefore goes
    to Spark as ``file://`` plus the plain path; an ``s3a://`` root as it is."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return "file://" + unquote(parsed.path)
    if parsed.scheme == "":
        return "file://" + os.path.abspath(uri)
    return uri


def object_store_for(uri: str, s3: S3Settings | None = None) -> ObjectStore:
    """The store behind a table root: ``file:///...`` or a plain path, or ``s3a://bucket/prefix``.

    S3 clients are cached per endpoint and key id: creating one costs ~50 ms, and a run opens
    every table several times.
    """
    parsed = urlparse(uri)
    if parsed.scheme in ("s3a", "s3"):
        from .s3 import s3_client

        settings = s3 or S3Settings()
        cache_key = (
            settings.endpoint,
            settings.region,
            settings.access_key_id,
            settings.secret_access_key,
        )
        client = _S3_CLIENTS.get(cache_key)
        if client is None:
            client = _S3_CLIENTS[cache_key] = s3_client(settings)
        return S3ObjectStore(client, parsed.netloc, parsed.path)
    if parsed.scheme in ("file", ""):
        return LocalObjectStore(unquote(parsed.path) if parsed.scheme else uri)
    raise ValueError(f"unsupported storage URI {uri!r}: use a local path, file:// or s3a://")


def object_store_for_session(uri: str, spark: object) -> ObjectStore:
    """``object_store_for`` with a running Spark session's S3A endpoint and keys, read only for
    an S3 root: reading the session's configuration from Python costs a py4j round trip per
    entry (~300), and a run opens every table several times (3,800 of a 90-day run's 21,000
    round trips went there, for local folders too)."""
    if urlparse(uri).scheme in ("s3a", "s3"):
        from .s3 import s3_settings_from_session

        return object_store_for(uri, s3_settings_from_session(spark))
    return object_store_for(uri)
