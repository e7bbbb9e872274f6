"""The landing-file splitter (no Spark): line numbers, raw text and a verdict for every record."""

from __future__ import annotations

from adventureworks_orchestration.landing.parser import (
    BAD_CSV,
    FIELD_COUNT,
    NOT_UTF8,
    UNCLOSED_QUOTE,
    escape_raw,
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
