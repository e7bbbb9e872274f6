"""File-level checks of landing files, done before a source run writes anything.

A run reads several tables' files; the first table is published before the last is read. So the
source step checks every selected file's head first (it exists, is not empty, its header line
decodes as UTF-8 and names the table's columns in order) and fails naming every bad file, with
nothing published. A header-only file is a legitimate day with no rows. Row-level problems (a
value that does not parse) are found when the rows are read, still before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

HEAD_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class LandingFileProblem:
    uri: str
    problem: str

    def __str__(self) -> str:
        return f"{self.uri}: {self.problem}"


def check_landing_head(
    uri: str, size: int, head: bytes, columns: Sequence[str]
) -> LandingFileProblem | None:
    """What is wrong with a landing file, judged from its size and first bytes (None: fine)."""
    if size == 0:
        return LandingFileProblem(
            uri,
            "the file is empty (0 bytes); a day without rows still needs the header line "
            f"'{','.join(columns)}'",
        )
    first_line, newline, _ = head.removeprefix(UTF8_BOM).partition(b"\n")
    if not newline and size > len(head):
        return LandingFileProblem(uri, f"no line break in the first {len(head)} bytes")
    try:
        header = first_line.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError as exc:
        return LandingFileProblem(
            uri, f"the header line is not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        )
    found = [name.strip().strip('"').strip() for name in header.split(",")]
    if found != list(columns):
        missing = [c for c in columns if c not in found]
        extra = [c for c in found if c not in columns]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing)}")
        if extra:
            detail.append(f"unexpected {', '.join(extra)}")
        if not detail:
            detail.append("the columns are in another order")
        return LandingFileProblem(
            uri,
            f"the header is '{header}' but must be '{','.join(columns)}' ({'; '.join(detail)})",
        )
    return None


def describe_problems(problems: Sequence[LandingFileProblem]) -> str:
    """One paragraph for a run's failure: every bad file, and what to do."""
    listed = "; ".join(str(p) for p in problems[:10])
    more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
    return (
        f"{len(problems)} landing file(s) cannot be ingested: {listed}{more}. Nothing was "
        "published for any table of this run. Fix or replace the file(s) and run the days again."
    )
