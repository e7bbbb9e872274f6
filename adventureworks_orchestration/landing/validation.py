"""Checks a landing file must pass before Spark reads it, each failing with one paragraph.

Spark finds a wrong header too, but only inside a running job: its error names neither the
missing nor the extra columns, and comes with a JVM stack trace. Checking the header line (and
that the file is not empty) first costs a few bytes per file and says exactly what is wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence

HEAD_BYTES = 4096  # the header line of a landing file fits in this many bytes


class LandingFileError(ValueError):
    """A landing file cannot be ingested; the message names it, says why and what to do."""


def header_problem(table: str, uri: str, size: int, head: bytes, columns: Sequence[str]) -> str:
    """Why the file at ``uri`` cannot be read as ``table`` with ``columns``, or "" when it can.

    ``head`` is the file's first bytes (at least its first line). Names compare as Spark
    compares them by default: case-insensitively, surrounding spaces ignored.
    """
    expected = ",".join(columns)
    if size == 0:
        return (
            f"{uri} is empty (0 bytes). A {table} landing file needs at least its header line "
            f"'{expected}' (a day without {table} is a file with only that line); replace the "
            "file, or remove it until the real one lands, and run again."
        )
    first_line = head.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()[:1]
    found = next(csv.reader(first_line), []) if first_line else []
    names = [name.strip() for name in found]
    wanted = [name.lower() for name in columns]
    if [name.lower() for name in names] == wanted:
        return ""
    missing = [c for c in columns if c.lower() not in {n.lower() for n in names}]
    extra = [n for n in names if n.lower() not in set(wanted)]
    if missing or extra:
        what = "; ".join(
            part
            for part in (
                f"missing column(s): {', '.join(missing)}" if missing else "",
                f"unexpected column(s): {', '.join(extra) or '(empty name)'}" if extra else "",
            )
            if part
        )
    else:
        what = "the columns are in another order"
    return (
        f"{uri} has the header '{','.join(names)}', but {table} files must start with "
        f"'{expected}' ({what}). Fix the header line (or the file's export) and run again; "
        "nothing was read from it."
    )


def check_landing_file(
    table: str, uri: str, size: int, head: bytes, columns: Sequence[str]
) -> None:
    """Raise ``LandingFileError`` with ``header_problem``'s paragraph when there is one."""
    problem = header_problem(table, uri, size, head, columns)
    if problem:
        raise LandingFileError(problem)
