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

``split_plain`` is the same split for the common file, done by Arrow's compute kernels instead of
a Python loop per record (a 100,000-record file: ~0.6 s in ``split_records``): it answers only
for files it can split exactly as ``split_records`` does, and ``None`` for any other.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

UTF8_BOM = b"\xef\xbb\xbf"
# why a record does not parse (``Record.error_code``)
NOT_UTF8 = "not_utf8"
FIELD_COUNT = "field_count"
UNCLOSED_QUOTE = "unclosed_quote"
BAD_CSV = "bad_csv"
_ESCAPED = re.compile(r"\\(\\|n|r|x[0-9a-f]{2})")
# A plain line: fields separated by commas, each unquoted without any quote, or quoted without a
# quote or comma inside (so a comma always separates fields and no record spans lines).
_PLAIN_FIELD = r'(?:"[^",]*"|[^",]*)'
_PLAIN_LINE = rf"^{_PLAIN_FIELD}(?:,{_PLAIN_FIELD})*$"


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


@dataclass(frozen=True)
class PlainRecords:
    """What ``split_records`` gives for a plain file, as Arrow columns (one entry per record):
    every record is one line (``last_line == line``), parses (no ``error``) and its raw text is
    the line as it is."""

    line: pa.Array  # int32
    raw: pa.Array  # string
    fields: tuple[pa.Array, ...]  # string, one per column, null where the field is empty


def split_plain(data: bytes, width: int) -> PlainRecords | None:
    """``split_records(data, width)`` as Arrow columns, or None if ``data`` is not plain.

    Plain: UTF-8 (a byte order mark first is dropped), lines ending in ``\\n`` or ``\\r\\n``
    (no other ``\\r``), no backslash (the raw text would be escaped), every line a
    ``_PLAIN_LINE`` no longer than the ``csv`` module's field size limit, and every record with
    ``width`` fields. Any other file (a bad record in it, quotes holding a comma, a quote or a
    line break) is ``split_records``' to split.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    data = data.removeprefix(UTF8_BOM)
    returns = data.count(b"\r")
    if b"\\" in data or returns != data.count(b"\r\n"):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = pa.array(text.split("\n"), pa.string())  # (pc.split_pattern of one long string is slow)
    if returns:
        lines = pc.replace_substring(lines, "\r", "")  # each one ends its line (counted above)
    lengths = pc.utf8_length(lines)
    if len(lines) and pc.max(lengths).as_py() > csv.field_size_limit():
        return None
    at = pc.indices_nonzero(pc.greater(lengths, 0))  # lines with something on them
    if not pc.all(pc.match_substring_regex(pc.take(lines, at), _PLAIN_LINE)).as_py():
        return None  # (and for no lines at all: all() of nothing is null; split_records says)
    at = at[1:]  # the first is the header
    records = pc.take(lines, at)
    split = pc.split_pattern(records, ",")
    if not pc.all(pc.equal(pc.list_value_length(split), width)).as_py():
        return None
    empty = pa.scalar(None, pa.string())
    fields = []
    for index in range(width):
        value = pc.list_element(split, index)
        quoted = pc.starts_with(value, '"')
        value = pc.if_else(quoted, pc.utf8_slice_codeunits(value, 1, -1), value)
        fields.append(pc.if_else(pc.equal(value, ""), empty, value))
    line = pc.add(at, 1).cast(pa.int32())
    return PlainRecords(line=line, raw=records, fields=tuple(fields))
