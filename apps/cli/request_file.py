"""A registration request read from a JSON file (``register --file``), strictly and in Swedish.

The file may start with a byte-order mark (Notepad writes one: ``utf-8-sig``). A key given twice
is refused rather than letting the last one silently win (which of two birth dates is meant?).
Malformed JSON is answered with the line and column and a Swedish description, never the
parser's English text; nesting deeper than any request needs is refused before parsing, with
where it happens, so no file can exhaust Python's recursion limit.
"""

from __future__ import annotations

import json
from typing import Any

# A request is one flat object with one nested object at most (the address): far below this.
MAX_DEPTH = 16

# The json module's messages (their stable first words), in Swedish.
_PARSER_SV = (
    ("Expecting property name", "en nyckel ska stå inom dubbla citattecken"),
    ("Expecting value", "ett värde saknas eller är skrivet fel"),
    ("Expecting ',' delimiter", "ett kommatecken saknas"),
    ("Expecting ':' delimiter", "ett kolon saknas efter en nyckel"),
    ("Unterminated string", "en text saknar sitt avslutande citattecken"),
    ("Invalid control character", "en text innehåller ett otillåtet tecken (t.ex. radbrytning)"),
    ("Invalid \\escape", "en text innehåller en felaktig \\-sekvens"),
    ("Invalid \\uXXXX escape", "en text innehåller en felaktig \\u-sekvens"),
    ("Extra data", "det står mer efter JSON-objektet"),
    ("Illegal trailing comma", "ett kommatecken för mycket före } eller ]"),
)


class RequestFileError(ValueError):
    """The file is not a usable request; ``message_sv`` says why and where, in Swedish."""

    def __init__(self, message_sv: str) -> None:
        super().__init__(message_sv)
        self.message_sv = message_sv


def parse_request_json(data: bytes) -> dict[str, Any]:
    """The request object in ``data`` (see the module docstring), or ``RequestFileError``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, column = _position(before, len(before))
        raise RequestFileError(
            f"Filen är inte sparad som UTF-8 (rad {line}, kolumn {column}). Spara den som "
            "UTF-8 och försök igen."
        ) from None
    _check_depth(text)
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        what = next((sv for en, sv in _PARSER_SV if exc.msg.startswith(en)), "ett syntaxfel")
        raise RequestFileError(
            f"Filen är inte giltig JSON: {what} (rad {exc.lineno}, kolumn {exc.colno})."
        ) from None
    if not isinstance(value, dict):
        raise RequestFileError("Filen ska innehålla ett JSON-objekt: { ... } med uppgifterna.")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise RequestFileError(
                f"Nyckeln ”{key}” står två gånger i filen. Ta bort den ena så att det är "
                "klart vilket värde som gäller."
            )
        out[key] = value
    return out


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH``, naming where (outside strings only)."""
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _position(text, index)
                raise RequestFileError(
                    f"Filen är för djupt nästlad för att vara ett ärende (rad {line}, kolumn "
                    f"{column}): ett ärende är ett JSON-objekt med uppgifterna."
                )
        elif char in "]}":
            depth -= 1


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``index`` in ``text``."""
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1
