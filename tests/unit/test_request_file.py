"""``register --file``: the request file is read strictly, and every refusal is Swedish."""

from __future__ import annotations

import json

import pytest

from apps.cli.request_file import MAX_DEPTH, RequestFileError, parse_request_json


def _refusal(data: bytes) -> str:
    with pytest.raises(RequestFileError) as caught:
        parse_request_json(data)
    return caught.value.message_sv


def test_a_file_with_a_byte_order_mark_is_read() -> None:
    assert parse_request_json(b'\xef\xbb\xbf{"family_name": "\xc3\x85berg"}') == {
        "family_name": "Åberg"
    }


def test_a_key_given_twice_is_refused_naming_the_key() -> None:
    message = _refusal(b'{"birth_date": "1990-01-01", "birth_date": "1991-01-01"}')
    assert "”birth_date” står två gånger" in message


def test_a_key_given_twice_inside_the_address_is_refused_too() -> None:
    assert "”city”" in _refusal(b'{"address": {"city": "A", "city": "B"}}')


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ('{\n  "a": 1,\n  "b": \n}', "rad 4, kolumn 1", "ett värde saknas"),
        ("{\n  'a': 1\n}", "rad 2, kolumn 3", "dubbla citattecken"),
        ('{"a": 1} {"b": 2}', "rad 1, kolumn 10", "det står mer efter"),
        ('{"a": "1}', "rad 1, kolumn 7", "avslutande citattecken"),
    ],
)
def test_malformed_json_is_answered_in_swedish_with_line_and_column(
    text: str, where: str, what: str
) -> None:
    message = _refusal(text.encode())
    assert where in message and what in message
    assert "Expecting" not in message and "delimiter" not in message


def test_deep_nesting_is_refused_with_where_and_no_recursion_error() -> None:
    # Deep enough that json.loads itself would raise RecursionError.
    message = _refusal(b"[" * 100_000 + b"]" * 100_000)
    assert f"rad 1, kolumn {MAX_DEPTH + 1}" in message
    assert "för djupt nästlad" in message


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    value = {"info": "[" * (MAX_DEPTH * 2), "address": {"street": "{{{"}}
    assert parse_request_json(json.dumps(value).encode()) == value


def test_a_file_that_is_not_utf8_is_refused_with_where() -> None:
    message = _refusal(b'{\n  "given_names": "\xc3\x85sa",\n  "family_name": "\xc5berg"}')
    assert "inte sparad som UTF-8 (rad 3, kolumn 19)" in message


def test_anything_but_an_object_is_refused() -> None:
    assert "JSON-objekt" in _refusal(b"[1, 2]")
