"""File-level checks of landing files, done before a source run reads or writes anything.

A run reads several tables' files, and the first table is published before the last is read.
So the source step checks every selected file's head first: it is not empty, its header line is
UTF-8 and names the table's columns in order. Every bad file is named in ONE paragraph, and
nothing is published. A header-only file is a legitimate day with no rows.

Spark would find a wrong header too, but only inside a running job, with a JVM stack trace and a
message that names neither the missing nor the extra columns; a few bytes per file say exactly
what is wrong. Names compare as Spark compares them by default: case-insensitively, surrounding
spaces ignored.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence

HEAD_BYTES = 64 * 1024  # the header line of a landing file fits in this many bytes
UTF8_BOM = b"\xef\xbb\xbf"


class LandingFileError(ValueError):
    """A landing file cannot be ingested; the message names it, says why and what to do."""


def header_problem(table: str, uri: str, size: int, head: bytes, columns: Sequence[str]) -> str:
    """Why the file at ``uri`` cannot be read as ``table`` with ``columns``, or "" when it can.

    ``head`` is the file's first bytes (at least its first line).
    """
    expected = ",".join(columns)
    if size == 0:
        return (
            f"{uri} is empty (0 bytes). A {table} landing file needs at least its header line "
            f"'{expected}' (a day without {table} is a file with only that line); replace the "
            "file, or remove it until the real one lands, and run again."
        )
    first_line, newline, _ = head.removeprefix(UTF8_BOM).partition(b"\n")
    if not newline and size > len(head):
        return f"{uri} has no line break in its first {len(head)} bytes: it is not a CSV file."
    try:
        text = first_line.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"{uri} has a header line that is not UTF-8 (byte {exc.start + 1}); save the file "
            "as UTF-8 and run again."
        )
    names = [name.strip() for name in next(csv.reader([text]), [])]
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
        f"'{expected}' ({what}). Fix the header line (or the file's export) and run again."
    )


def describe_problems(problems: Sequence[str]) -> str:
    """One paragraph for a run's failure: every bad file, and that nothing was published."""
    if len(problems) == 1:
        return f"{problems[0]} Nothing was published for any table of this run."
    listed = " ".join(f"({n}) {problem}" for n, problem in enumerate(problems[:10], start=1))
    more = f" ... and {len(problems) - 10} more." if len(problems) > 10 else ""
    return (
        f"{len(problems)} landing files cannot be ingested: {listed}{more} Nothing was "
        "published for any table of this run."
    )
