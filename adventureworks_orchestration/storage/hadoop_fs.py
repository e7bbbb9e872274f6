"""Driver-side file operations through Spark's own Hadoop FileSystem.

Going through the JVM means the local folder and ``s3a://`` buckets share one code path and one
set of credentials (the S3A settings Spark already has), instead of a second client to configure.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession


@dataclass(frozen=True)
class FileStatus:
    name: str
    path: str
    is_dir: bool
    size: int


class HadoopFileSystem:
    """The handful of FileSystem calls the IO managers need, with string URIs in and out."""

    def __init__(self, spark: SparkSession, uri: str) -> None:
        jvm = spark._jvm  # noqa: SLF001 - the documented way to reach Hadoop from PySpark
        if jvm is None:
            raise RuntimeError(
                "storage operations need a classic Spark session with a JVM (not Spark Connect)"
            )
        self._jvm = jvm
        self._conf = spark._jsc.hadoopConfiguration()  # noqa: SLF001
        self._fs = self._path(uri).getFileSystem(self._conf)

    def _path(self, uri: str):  # noqa: ANN202 - a py4j proxy
        return self._jvm.org.apache.hadoop.fs.Path(uri)

    def exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path(uri)))

    def list(self, uri: str) -> list[FileStatus]:
        """Direct children of a folder; an empty list when the folder does not exist."""
        path = self._path(uri)
        if not self._fs.exists(path):
            return []
        return [
            FileStatus(
                name=status.getPath().getName(),
                path=status.getPath().toString(),
                is_dir=bool(status.isDirectory()),
                size=int(status.getLen()),
            )
            for status in self._fs.listStatus(path)
        ]

    def mkdirs(self, uri: str) -> None:
        self._fs.mkdirs(self._path(uri))

    def delete(self, uri: str) -> None:
        self._fs.delete(self._path(uri), True)

    def delete_if_empty(self, uri: str) -> None:
        """Remove a folder only if nothing is in it (a concurrent writer's files stay)."""
        try:
            self._fs.delete(self._path(uri), False)
        except Exception:  # noqa: BLE001 - py4j raises a generic error for a non-empty folder
            pass

    def rename(self, source: str, target: str) -> None:
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not rename {source} to {target}")

    def write_text(self, uri: str, text: str) -> None:
        stream = self._fs.create(self._path(uri), True)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()

    def read_text(self, uri: str) -> str:
        stream = self._fs.open(self._path(uri))
        try:
            reader = self._jvm.java.io.BufferedReader(
                self._jvm.java.io.InputStreamReader(stream, "UTF-8")
            )
            lines = []
            line = reader.readLine()
            while line is not None:
                lines.append(line)
                line = reader.readLine()
            return "\n".join(lines)
        finally:
            stream.close()
