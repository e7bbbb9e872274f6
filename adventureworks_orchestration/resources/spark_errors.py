"""Turn a failed Spark job into one sentence: which file, and what was wrong with it.

A bad input file makes Spark raise a Py4J error whose text is a few hundred lines of JVM stack.
The useful parts are always there (``FAILED_READ_FILE`` names the file, the innermost
``Caused by:`` says what was wrong); this module pulls them out so the run's error is readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dagster as dg
from pyspark import StorageLevel
from pyspark.sql import DataFrame

_FAILED_FILE = re.compile(r"Encountered error while reading file (?P<path>\S+?)\.?\s+SQLSTATE")
_CAUSED_BY = re.compile(r"^Caused by: (?:[\w.$]+?)(?:Exception|Error): (?P<message>.*)$", re.M)
_MALFORMED = re.compile(r"Malformed records are detected in record parsing[^\n]*")
_HEADER = re.compile(r"CSV header does not conform to the schema\.(?P<detail>.*?)CSV file:", re.S)


@dataclass(frozen=True)
class FileReadFailure:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason.rstrip('.')}"


def explain_file_failure(error: BaseException) -> FileReadFailure | None:
    """The file and reason behind a Spark failure, or None when no input file was at fault."""
    text = str(error)
    failed = _FAILED_FILE.search(text)
    if not failed:
        return None
    return FileReadFailure(path=failed["path"], reason=_reason(text))


def _reason(text: str) -> str:
    header = _HEADER.search(text)
    if header:
        detail = " ".join(line.strip() for line in header["detail"].strip().splitlines())
        return f"the header does not match the expected columns ({detail})"
    malformed = _MALFORMED.search(text)
    if malformed:
        return (
            "malformed row (wrong number of fields, or a value that does not parse as its "
            f"column's type): {malformed.group(0)}"
        )
    causes = _CAUSED_BY.findall(text)
    return causes[-1].strip() if causes else "Spark could not read it"


def parsed(frame: DataFrame) -> DataFrame:
    """``frame`` parsed in full and kept (memory, then disk): a file that does not parse fails
    here, as a ``dg.Failure`` naming it, and later steps of the run reuse the parsed rows."""
    kept = frame.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        kept.count()
    except Exception as exc:
        kept.unpersist()
        failure = explain_file_failure(exc)
        if failure is None:
            raise
        raise dg.Failure(
            description=f"cannot read {failure}. Nothing was published for any table of this "
            "run; fix or replace the file and run the days again.",
            metadata={"file": failure.path, "reason": failure.reason},
            allow_retries=False,  # the same file fails the same way
        ) from None
    return kept
