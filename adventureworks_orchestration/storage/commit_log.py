"""The table's versions: one manifest per committed version, the newest is the table.

Committing version N+1 is ONE put of ``_table/manifests/<N+1>.json`` that fails if the key exists
(``If-None-Match: *`` on S3, ``link`` locally): of two writers that both read version N, exactly
one commits N+1 and the other gets ``ConcurrentWriteError`` without having changed anything. A
reader lists the manifests folder (kept short by pruning) and reads the highest version: what it
names is the whole table, at one instant.
"""

from __future__ import annotations

from .errors import ConcurrentWriteError, StorageError
from .layout import MANIFEST_DIR, manifest_key, manifest_version
from .manifest import Manifest
from .object_store import ObjectStore, PreconditionFailed


class CommitLog:
    def __init__(self, store: ObjectStore, partition_column: str, table_name: str) -> None:
        self.store = store
        self.partition_column = partition_column
        self.table_name = table_name

    def versions(self) -> list[int]:
        found = (manifest_version(item.key) for item in self.store.list(MANIFEST_DIR + "/"))
        return sorted(v for v in found if v is not None)

    def latest(self) -> Manifest:
        """The newest committed version (``Manifest.empty`` before the first commit)."""
        for _ in range(3):  # a prune between our list and get: list again
            versions = self.versions()
            if not versions:
                return Manifest.empty(self.partition_column)
            found = self.store.get(manifest_key(versions[-1]))
            if found is not None:
                return self._parse(found[0], versions[-1])
        raise StorageError(f"{self.table_name}: its newest manifest keeps disappearing")

    def read_version(self, version: int) -> Manifest | None:
        found = self.store.get(manifest_key(version))
        return self._parse(found[0], version) if found else None

    def commit(self, manifest: Manifest) -> None:
        """Publish ``manifest`` as the next version, or raise ``ConcurrentWriteError``."""
        try:
            self.store.put(manifest_key(manifest.version), manifest.to_json(), if_none_match=True)
        except PreconditionFailed:
            raise ConcurrentWriteError(
                f"{self.table_name}: another writer committed version {manifest.version} while "
                "this run was writing; nothing of this run was published. Run it again: it will "
                "write on top of the other writer's version."
            ) from None

    def withdraw(self, version: int, write_id: str) -> None:
        """Delete ``version`` if (and only if) it is still the one ``write_id`` committed."""
        found = self.store.get(manifest_key(version))
        if found is None:
            return
        manifest = self._parse(found[0], version)
        if manifest.last_write is not None and manifest.last_write.write_id == write_id:
            try:
                self.store.delete(manifest_key(version), if_match=found[1])
            except PreconditionFailed:
                pass

    def committed_by(self, version: int, write_id: str) -> bool | None:
        """Did ``write_id`` commit ``version``? None when storage cannot tell us right now."""
        try:
            manifest = self.read_version(version)
        except Exception:  # noqa: BLE001 - any failure means "unknown", which callers handle
            return None
        if manifest is None:
            return False
        return manifest.last_write is not None and manifest.last_write.write_id == write_id

    def _parse(self, data: bytes, version: int) -> Manifest:
        try:
            manifest = Manifest.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(
                f"{self.table_name}: manifest version {version} cannot be read ({exc})"
            ) from None
        if manifest.partition_column != self.partition_column:
            raise StorageError(
                f"{self.table_name} is partitioned by {manifest.partition_column!r}, "
                f"not {self.partition_column!r}; check the asset's partition_column metadata"
            )
        return manifest
