"""The landing-file splitter (no Spark): line numbers, raw text and a verdict for every record."""

from __future__ import annotations

import io
import random

import pyarrow.csv as pa_csv

from adventureworks_orchestration.datagen import GeneratorConfig, generate_table
from adventureworks_orchestration.landing.parser import (
    BAD_CSV,
    FIELD_COUNT,
    NOT_UTF8,
    UNCLOSED_QUOTE,
    escape_raw,
    split_plain,
    split_records,
    unescape_raw,
)


def _records(data: bytes, width: int = 3):
    return list(split_records(data, width))


def test_records_carry_their_line_raw_text_and_fields():
    records = _records(b'a,b,c\n1,x,\n\n2,"y, z",3\n')

    assert [(r.line, r.last_line, r.raw, r.fields) for r in records] == [
        (2, 2, "1,x,", ("1", "x", None)),  # an empty field is None
        (4, 4, '2,"y, z",3', ("2", "y, z", "3")),  # the blank line 3 is no record
    ]
    assert all(r.error is None for r in records)


def test_a_bom_and_crlf_line_ends_are_not_part_of_any_record():
    records = _records(b"\xef\xbb\xbfa,b,c\r\n1,2,3\r\n4,5,6\r\n")

    assert [(r.line, r.raw, r.fields) for r in records] == [
        (2, "1,2,3", ("1", "2", "3")),
        (3, "4,5,6", ("4", "5", "6")),
    ]


def test_a_quoted_line_break_makes_one_record_over_two_lines():
    (record, after) = _records(b'a,b,c\n1,"two\nlines",3\n4,5,6\n')

    assert (record.line, record.last_line, record.fields) == (2, 3, ("1", "two\nlines", "3"))
    assert record.raw == '1,"two\\nlines",3'
    assert (after.line, after.fields) == (4, ("4", "5", "6"))


def test_wrong_field_count_is_a_record_verdict_not_a_failure():
    (short, good, long) = _records(b"a,b,c\n1,2\n1,2,3\n1,2,3,4\n")

    assert (short.error_code, short.fields, short.error) == (
        FIELD_COUNT,
        None,
        "wrong number of fields: 2, expected 3",
    )
    assert good.error is None
    assert (long.line, long.error_code) == (4, FIELD_COUNT)


def test_bytes_that_are_not_utf8_reject_only_their_record_and_stay_visible():
    (bad, good) = _records(b"a,b,c\n1,Butt\xe9rs,3\n2,ok,3\n")

    assert bad.error_code == NOT_UTF8
    assert bad.error == "not UTF-8: the line has a byte 0xe9 at position 7 that is not valid UTF-8"
    assert bad.raw == "1,Butt\\xe9rs,3"
    assert unescape_raw(bad.raw) == b"1,Butt\xe9rs,3"
    assert good.error is None


def test_a_quote_never_closed_is_one_record_to_the_end_of_the_file():
    (good, bad) = _records(b'a,b,c\n1,2,3\n2,"open,3\n4,5,6\n')

    assert good.error is None
    assert (bad.line, bad.last_line, bad.error_code) == (3, 4, UNCLOSED_QUOTE)
    assert "opened on line 3 is never closed" in bad.error


def test_a_field_beyond_the_csv_size_limit_is_a_bad_record():
    (record,) = _records(b"a,b,c\n1," + b"x" * 200_000 + b",3\n")

    assert record.error_code == BAD_CSV


def test_header_only_and_empty_data_give_no_records():
    assert _records(b"a,b,c\n") == [] and _records(b"") == []


def test_escaped_raw_text_gives_the_bytes_back():
    data = b'back\\slash "q"\r\n\xff\xfe end'
    assert "\n" not in escape_raw(data) and unescape_raw(escape_raw(data)) == data


def _plain_as_records(data: bytes, width: int):
    plain = split_plain(data, width)
    if plain is None:
        return None
    fields = [column.to_pylist() for column in plain.fields]
    return [
        (line, line, raw, tuple(values), None, None)
        for line, raw, *values in zip(
            plain.line.to_pylist(), plain.raw.to_pylist(), *fields, strict=True
        )
    ]


def _as_tuples(records):
    return [(r.line, r.last_line, r.raw, r.fields, r.error, r.error_code) for r in records]


# Pieces a landing line is made of: plain ones, and ones that make a file not plain (a quote
# inside a field, a comma or line break inside quotes, a doubled quote, a backslash, CR, NUL,
# bytes that are not UTF-8, spaces around quotes).
_FIELDS = [b"", b"1", b"x y", b"\xc3\xa9t\xc3\xa9", b'"q"', b'""', b'" a "', b"2024-01-01 10:00:00"]
# characters some line splitters take for line ends (not bytes.splitlines, not the csv module)
_FIELDS += [
    b"a\x0bb",
    b"\x0c",
    b'"\x1c"',
    b"\x1d\x1e",
    b"\xc2\x85",
    b"\xe2\x80\xa8x",
    b"\t",
    b"\x00",
]
_ODD_FIELDS = [
    b'"',
    b'a"b',
    b'"a,b"',
    b'"a\nb"',
    b'"a""b"',
    b'"a"b',
    b' "a"',
    b"\\",
    b"\x00",
    b"\xff",
    b"a\rb",
]


def _random_file(rng: random.Random, width: int) -> bytes:
    """A header and up to 6 lines of plain fields, their counts mostly right; half the files get
    ONE odd piece in a random line (so a file is declined for one reason, or wrongly split)."""
    lines = []
    for _ in range(rng.randint(1, 6)):
        count = rng.choices([width, width - 1, width + 1, 1], [70, 15, 10, 5])[0]
        lines.append([rng.choice(_FIELDS) for _ in range(count)] if rng.random() > 0.1 else [])
    if rng.random() < 0.5:
        fields = rng.choice(lines)
        odd = rng.choice(_ODD_FIELDS)
        if fields:
            fields[rng.randrange(len(fields))] = odd
        else:
            fields.append(odd)
    end = b"\r\n" if rng.random() < 0.2 else b"\n"
    data = end.join([b"a,b,c", *(b",".join(fields) for fields in lines)])
    data += end if rng.random() < 0.8 else b""
    return (b"\xef\xbb\xbf" + data) if rng.random() < 0.2 else data


def test_split_plain_gives_exactly_what_split_records_gives_or_leaves_the_file_to_it():
    rng = random.Random(20261130)
    answered = declined = 0
    for _ in range(5000):
        data = _random_file(rng, 3)
        plain = _plain_as_records(data, 3)
        if plain is None:
            declined += 1
            continue
        answered += 1
        assert plain == _as_tuples(_records(data)), data
    assert answered > 500 and declined > 500  # both ways taken, so the comparison means something


def test_split_plain_leaves_every_kind_of_odd_file_to_split_records():
    for data in [
        b'a,b,c\n1,"x,y",3\n',  # a comma inside quotes
        b'a,b,c\n1,"two\nlines",3\n',  # a line break inside quotes
        b'a,b,c\n1,"say ""hi""",3\n',  # a doubled quote
        b'a,b,c\n1,x"y,3\n',  # a quote inside an unquoted field
        b"a,b,c\n1,\xff,3\n",  # not UTF-8
        b"a,b,c\n1,2\n",  # a record with too few fields
        b"a,b,c\n1,a\\b,3\n",  # a backslash (its raw text is escaped)
        b"a,b,c\r\n1,2\r3\r\n",  # a CR that does not end a line
        b"a,b,c\n1," + b"x" * 200_000 + b",3\n",  # beyond the csv module's field size limit
    ]:
        assert split_plain(data, 3) is None, data


def test_the_generators_files_are_plain_so_ingestion_takes_the_fast_split():
    for table in ["bookings", "members", "facilities"]:
        buffer = io.BytesIO()
        data = generate_table(table, "2024-03-05", GeneratorConfig(bookings_per_day=2000))
        pa_csv.write_csv(data, buffer, pa_csv.WriteOptions(quoting_style="needed"))
        content = buffer.getvalue()
        plain = _plain_as_records(content, data.num_columns)
        assert plain is not None and len(plain) == data.num_rows > 0, table
        assert plain == _as_tuples(_records(content, data.num_columns)), table


def test_an_excel_export_bom_and_crlf_is_plain():
    data = b'\xef\xbb\xbf"a","b","c"\r\n1,"x",\r\n\r\n2,3,4\r\n'
    assert (
        _plain_as_records(data, 3)
        == _as_tuples(_records(data))
        == [
            (2, 2, '1,"x",', ("1", "x", None), None, None),
            (4, 4, "2,3,4", ("2", "3", "4"), None, None),
        ]
    )
