"""Server-side checks shared by every form of the mock sites, with Swedish messages.

Every form is validated here even where the page also checks in JavaScript: a site must never
store or echo what it should have refused. Each message carries a stable code (shown on the
page as ``data-code``), as a robot needs more than the text to tell a refusal from an error.

Field rules: the region profile (``<config_dir>/regions/<region>.toml``, ``[fields.*]``) says
how long each field may be and which characters it takes. The mock reads that file itself (it
imports nothing of the robot) and enforces it, so the sites refuse exactly what the robot's own
check (``flows/rules/field_rules.py``) refuses before anything is created.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

MAX_LENGTH = 100
MAX_INFO_LENGTH = 500

# Letters of any script, combining marks, spaces, hyphens, apostrophes and full stops.
_NAME_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s\-'’.])*$", re.UNICODE)
# Anything that looks like the start of an HTML tag, comment or entity.
_MARKUP_RE = re.compile(r"<\s*[A-Za-z/!?]|&#?\w+;")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class FieldRule:
    """One field's rule from the region profile (see the module docstring)."""

    systems: tuple[str, ...]
    max_length: int
    letters: bool = False
    digits: bool = False
    other: str = ""

    def refused_char(self, text: str) -> str | None:
        """The first character of (composed) ``text`` the field does not take."""
        for ch in text:
            if ch in self.other or (self.digits and "0" <= ch <= "9"):
                continue
            if self.letters and unicodedata.category(ch).startswith("L"):
                continue
            return ch
        return None


def load_field_rules(config_dir: Path, region: str, system: str) -> dict[str, FieldRule]:
    """The rules of the fields ``system`` ("pmo" or "rns") has, by form field name."""
    path = config_dir / "regions" / f"{region}.toml"
    with path.open("rb") as handle:
        fields: Mapping[str, Any] = tomllib.load(handle).get("fields", {})
    rules = {
        name: FieldRule(
            systems=tuple(raw["systems"]),
            max_length=int(raw["max_length"]),
            letters=bool(raw.get("letters", False)),
            digits=bool(raw.get("digits", False)),
            other=str(raw.get("other", "")),
        )
        for name, raw in fields.items()
    }
    return {name: rule for name, rule in rules.items() if system in rule.systems}


@dataclass(frozen=True)
class FormMessage:
    """One message of a refused form: the field, a stable code and the Swedish text."""

    field: str
    code: str
    text: str


@dataclass
class FormErrors:
    """Errors per field name, in the order found."""

    by_field: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str, code: str = "field_invalid") -> None:
        if name not in self.by_field:
            self.by_field[name] = message
            self.codes[name] = code

    def __bool__(self) -> bool:
        return bool(self.by_field)

    @property
    def messages(self) -> list[str]:
        return list(self.by_field.values())

    @property
    def items(self) -> list[FormMessage]:
        """Every message with its field and code, for the page (``data-field``/``data-code``)."""
        return [FormMessage(n, self.codes[n], m) for n, m in self.by_field.items()]


def text_field(
    errors: FormErrors,
    name: str,
    label: str,
    value: str | None,
    *,
    required: bool = False,
    max_length: int = MAX_LENGTH,
    multiline: bool = False,
    rule: FieldRule | None = None,
) -> str:
    """Trimmed value of a free-text field; records a Swedish error when it is not acceptable.

    ``rule`` (from the region profile) replaces ``max_length`` and limits the characters.
    """
    text = unicodedata.normalize("NFC", (value or "").strip())
    if multiline:
        text = text.replace("\r\n", "\n")
    if not text:
        if required:
            errors.add(name, f"{label} måste fyllas i.", "field_required")
        return ""
    if rule is not None:
        max_length = rule.max_length
    if len(text) > max_length:
        errors.add(name, f"{label} får vara högst {max_length} tecken.", "field_too_long")
    elif _MARKUP_RE.search(text):
        errors.add(name, f"{label} får inte innehålla HTML-kod eller skript.", "markup_refused")
    elif _CONTROL_RE.search(text) or (not multiline and "\n" in text):
        errors.add(name, f"{label} innehåller otillåtna tecken.", "field_chars_refused")
    elif rule is not None:
        _check_chars(errors, name, label, text, rule)
    return text


def _check_chars(errors: FormErrors, name: str, label: str, text: str, rule: FieldRule) -> None:
    ch = rule.refused_char(text)
    if ch is None:
        return
    if unicodedata.category(ch).startswith("M"):
        errors.add(
            name,
            f"{label} innehåller ett accenttecken som inte hör till någon bokstav.",
            "field_mark_uncomposed",
        )
        return
    shown = f"”{ch}”" if ch.isprintable() else "ett osynligt tecken"
    errors.add(name, f"{label} får inte innehålla tecknet {shown}.", "field_chars_refused")


def name_field(
    errors: FormErrors, name: str, label: str, value: str | None, rule: FieldRule | None = None
) -> str:
    """A person's name: required, letters with spaces, hyphens and apostrophes only.

    With a ``rule``: its length, and its characters (a combining mark that did not compose
    into a letter is refused first, with its own code).
    """
    length = rule.max_length if rule is not None else MAX_LENGTH
    text = text_field(errors, name, label, value, required=True, max_length=length)
    if not text or name in errors.by_field:
        return text
    if rule is not None and any(unicodedata.category(c).startswith("M") for c in text):
        _check_chars(errors, name, label, text, rule)
    elif not _NAME_RE.match(text):
        errors.add(
            name,
            f"{label} får bara innehålla bokstäver, mellanslag och bindestreck.",
            "name_invalid_chars",
        )
    elif rule is not None:
        _check_chars(errors, name, label, text, rule)
    return text


def choice_field(
    errors: FormErrors, name: str, label: str, value: str | None, allowed: tuple[str, ...]
) -> str:
    """One of ``allowed``; a missing or foreign value is an error."""
    if value in allowed:
        return value
    errors.add(name, f"Välj {label}.", "field_required")
    return ""


def parse_compact_date(value: str) -> date | None:
    """A calendar date from ``ÅÅÅÅMMDD`` (dashes and spaces ignored), or None."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{8}", digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def birth_date_field(
    errors: FormErrors, name: str, label: str, value: str | None, *, today: date
) -> date | None:
    """A birth date written ÅÅÅÅMMDD: a real calendar date, not in the future, not before 1880."""
    text = (value or "").strip()
    if not text:
        errors.add(name, f"{label} måste fyllas i.", "field_required")
        return None
    if len(text) > MAX_LENGTH:
        errors.add(name, f"{label} får vara högst {MAX_LENGTH} tecken.", "field_too_long")
        return None
    parsed = parse_compact_date(text)
    if parsed is None:
        errors.add(
            name, f"{label} är inte ett giltigt datum. Skriv ÅÅÅÅMMDD.", "birth_date_invalid"
        )
        return None
    if parsed > today:
        errors.add(name, f"{label} kan inte vara i framtiden.", "birth_date_future")
        return None
    if parsed.year < 1880:
        errors.add(name, f"{label} är för långt tillbaka i tiden.", "birth_date_too_early")
        return None
    return parsed


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` for substring search."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
