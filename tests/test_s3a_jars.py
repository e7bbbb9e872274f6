"""The S3A jars take one copy on disk: Ivy's ``jars/`` copies become hard links to its cache."""

from __future__ import annotations

from adventureworks_orchestration.resources.s3a_jars import link_duplicate_jars


def _ivy_layout(root, content: bytes, copy_content: bytes | None = None):
    original = root / "cache/org.apache.hadoop/hadoop-aws/jars/hadoop-aws-3.5.0.jar"
    original.parent.mkdir(parents=True)
    original.write_bytes(content)
    copy = root / "jars/org.apache.hadoop_hadoop-aws-3.5.0.jar"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(content if copy_content is None else copy_content)
    return original, copy


def test_the_retrieved_copy_becomes_a_link_to_the_cached_jar(tmp_path):
    original, copy = _ivy_layout(tmp_path, b"PK" + b"x" * 5000)

    freed = link_duplicate_jars(tmp_path)

    assert freed == 5002
    assert copy.stat().st_ino == original.stat().st_ino and copy.read_bytes() == b"PK" + b"x" * 5000
    assert link_duplicate_jars(tmp_path) == 0, "already one copy"
    assert not list(tmp_path.rglob("*.link"))


def test_a_copy_that_differs_from_the_cache_is_left_alone(tmp_path):
    original, copy = _ivy_layout(tmp_path, b"PK-one", copy_content=b"PK-two")

    assert link_duplicate_jars(tmp_path) == 0
    assert copy.stat().st_ino != original.stat().st_ino and copy.read_bytes() == b"PK-two"
