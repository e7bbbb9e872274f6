"""Splits a landing file's bytes into records, each with its first line number and its raw text.

Spark's CSV reader gives neither line numbers nor the original text of parsed rows, and it turns
bytes that are not UTF-8 into U+FFFD without a word; this splitter is what the quarantine is
built on. It is a plain function (no Spark): ``landing.reader`` runs it on each file inside Spark.

The format is RFC 4180 CSV as Python's ``csv`` module reads it: a header line, then one record
per line, fields quoted with ``"`` (a quote inside a quoted field doubled) may hold commas and
line breaks, so one record can span several physical lines. Lines end in ``\\n``, ``\\r\\n`` or
``\\r``; a UTF-8 byte order mark before the header is dropped. A line with nothing on it is not a
record (as for Spark's reader). Every physical line is decoded as UTF-8 on its own, so a bad byte
rejects the record it is in, not the whole file.

Nothing here raises on bad input: every record comes back, with ``error`` saying why it does not
parse when it does not.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
# why a record does not parse (``Record.error_code``)
NOT_UTF8 = "not_utf8"
FIELD_COUNT = "field_count"
UNCLOSED_QUOTE = "unclosed_quote"
BAD_CSV = "bad_csv"
_ESCAPED = re.compile(r"\\(\\|n|r|x[0-9a-f]{2})")


@dataclass(frozen=True)
class Record:
    """One record of a landing file (the header is not one)."""

    line: int  # the physical line it starts on, 1-based; the header is line 1
    last_line: int  # the physical line it ends on (> line when a quoted field holds a break)
    raw: str  # its bytes as in the file, escaped (see ``escape_raw``), without the final break
    fields: tuple[str | None, ...] | None  # one per column (empty -> None); None: it did not parse
    error: str | None  # why it does not parse, or None
    error_code: str | None = None  # NOT_UTF8, FIELD_COUNT, UNCLOSED_QUOTE or BAD_CSV


def escape_raw(data: bytes) -> str:
    """Bytes as one line of text that gives the bytes back exactly (``unescape_raw``).

    ``\\`` becomes ``\\\\``, line breaks ``\\r`` and ``\\n``, and bytes that are not UTF-8
    ``\\xNN``; all other text stays as it is. So a quarantined record is one line, readable, and
    still says which byte was wrong.
    """
    text = data.replace(b"\\", b"\\\\").decode("utf-8", errors="backslashreplace")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def unescape_raw(text: str) -> bytes:
    """The bytes ``escape_raw`` was given."""
    out = bytearray()
    position = 0
    for match in _ESCAPED.finditer(text):
        out += text[position : match.start()].encode("utf-8")
        code = match.group(1)
        if code == "\\":
            out += b"\\"
        elif code == "n":
            out += b"\n"
        elif code == "r":
            out += b"\r"
        else:
            out.append(int(code[1:], 16))
        position = match.end()
    out += text[position:].encode("utf-8")
    return bytes(out)


def _line_break(line: bytes) -> int:
    """How many bytes at the end of ``line`` are its line break."""
    if line.endswith(b"\r\n"):
        return 2
    return 1 if line.endswith((b"\n", b"\r")) else 0


def split_records(data: bytes, width: int) -> Iterator[Record]:
    """The records after the header line of a CSV file whose rows must have ``width`` fields."""
    lines = data.removeprefix(UTF8_BOM).splitlines(keepends=True)
    decoded: list[str] = []
    not_utf8: dict[int, str] = {}  # 0-based line index -> what is wrong with it
    for index, line in enumerate(lines):
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            not_utf8[index] = f"byte 0x{line[exc.start]:02x} at position {exc.start + 1}"
            decoded.append(line.decode("utf-8", errors="replace"))
    reader = csv.reader(iter(decoded), strict=False)
    first = 0  # 0-based index of the line the next record starts on
    header_seen = False
    while first < len(lines):
        error: tuple[str, str] | None = None
        try:
            fields: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a field longer than csv.field_size_limit()
            fields, error = None, (BAD_CSV, f"does not parse as CSV: {exc}")
        end = max(reader.line_num, first + 1)  # 1-based number of its last line
        span = lines[first:end]
        start, first = first, end
        if fields == [] and error is None:
            continue  # a line with nothing on it
        if not header_seen:
            header_seen = True
            continue
        text = b"".join(span)
        text = text[: len(text) - _line_break(span[-1])]
        error = error or _problem(fields, width, start, end, not_utf8, text, len(lines))
        yield Record(
            line=start + 1,
            last_line=end,
            raw=escape_raw(text),
            fields=None if error else tuple(value or None for value in fields or ()),
            error=error[1] if error else None,
            error_code=error[0] if error else None,
        )


def _problem(
    fields: Sequence[str] | None,
    width: int,
    start: int,
    end: int,
    not_utf8: dict[int, str],
    text: bytes,
    total_lines: int,
) -> tuple[str, str] | None:
    """(code, reason) of a record that does not parse, or None."""
    bad = [index for index in range(start, end) if index in not_utf8]
    if bad:
        where = f"line {bad[0] + 1}" if end - start > 1 else "the line"
        return NOT_UTF8, f"not UTF-8: {where} has a {not_utf8[bad[0]]} that is not valid UTF-8"
    if end - start > 1 and end == total_lines and text.count(b'"') % 2:
        return UNCLOSED_QUOTE, (
            f"a quoted field opened on line {start + 1} is never closed (the record runs to the "
            "end of the file)"
        )
    count = len(fields or ())
    if count != width:
        return FIELD_COUNT, f"wrong number of fields: {count}, expected {width}"
    return None
