"""Looking at what the platform stored, the same way for a local folder and an S3 bucket.

Tests assert on exact folders, files and bytes; this gives them one vocabulary for both storages
so every storage test is written once and parametrized.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol


class StorageView(Protocol):
    root_uri: str

    def folders(self, relative: str) -> list[str]: ...
    def files(self, relative: str) -> list[str]: ...
    def checksums(self, relative: str = "") -> dict[str, str]: ...
    def write_text(self, relative: str, text: str) -> None: ...
    def read_text(self, relative: str) -> str: ...
    def exists(self, relative: str) -> bool: ...
    def remove(self, relative: str) -> None: ...


class LocalView:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root_uri = root.as_uri()

    def folders(self, relative: str) -> list[str]:
        base = self.root / relative
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []

    def files(self, relative: str) -> list[str]:
        base = self.root / relative
        return sorted(p.name for p in base.iterdir() if p.is_file()) if base.exists() else []

    def checksums(self, relative: str = "") -> dict[str, str]:
        base = self.root / relative
        return {
            str(p.relative_to(base)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(base.rglob("*"))
            if p.is_file() and not p.name.endswith(".crc")
        }

    def write_text(self, relative: str, text: str) -> None:
        (self.root / relative).parent.mkdir(parents=True, exist_ok=True)
        (self.root / relative).write_text(text)

    def read_text(self, relative: str) -> str:
        return (self.root / relative).read_text()

    def exists(self, relative: str) -> bool:
        return (self.root / relative).exists()

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()


class S3View:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.root_uri = f"s3a://{bucket}" + (f"/{self.prefix}" if self.prefix else "")

    def _key(self, relative: str) -> str:
        return "/".join(part for part in (self.prefix, relative.strip("/")) if part)

    def _list(self, relative: str, delimiter: bool) -> list[dict]:
        prefix = self._key(relative)
        prefix = prefix + "/" if prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **({"Delimiter": "/"} if delimiter else {})
        )
        return list(pages)

    def folders(self, relative: str) -> list[str]:
        names = set()
        for page in self._list(relative, delimiter=True):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"].rstrip("/").rsplit("/", 1)[-1])
        return sorted(names)

    def files(self, relative: str) -> list[str]:
        names = []
        for page in self._list(relative, delimiter=True):
            names += [o["Key"].rsplit("/", 1)[-1] for o in page.get("Contents", [])]
        return sorted(name for name in names if name)

    def checksums(self, relative: str = "") -> dict[str, str]:
        base = self._key(relative)
        result = {}
        for page in self._list(relative, delimiter=False):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue
                body = self.client.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                name = obj["Key"][len(base) + 1 :] if base else obj["Key"]
                result[name] = hashlib.sha256(body).hexdigest()
        return result

    def write_text(self, relative: str, text: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(relative), Body=text.encode())

    def read_text(self, relative: str) -> str:
        return (
            self.client.get_object(Bucket=self.bucket, Key=self._key(relative))["Body"]
            .read()
            .decode()
        )

    def exists(self, relative: str) -> bool:
        key = self._key(relative)
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return listing.get("KeyCount", 0) > 0

    def remove(self, relative: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(relative))
