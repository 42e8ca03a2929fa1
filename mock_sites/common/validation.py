"""Server-side checks shared by every form of the mock sites, with Swedish messages.

Every form is validated here even where the page also checks in JavaScript: a site must never
store or echo what it should have refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

MAX_LENGTH = 100
MAX_INFO_LENGTH = 500

# Letters of any script, combining marks, spaces, hyphens, apostrophes and full stops.
_NAME_RE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\s\-'’.])*$", re.UNICODE)
# Anything that looks like the start of an HTML tag, comment or entity.
_MARKUP_RE = re.compile(r"<\s*[A-Za-z/!?]|&#?\w+;")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class FormErrors:
    """Errors per field name, in the order found."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    @property
    def messages(self) -> list[str]:
        return list(self.by_field.values())


def text_field(
    errors: FormErrors,
    name: str,
    label: str,
    value: str | None,
    *,
    required: bool = False,
    max_length: int = MAX_LENGTH,
    multiline: bool = False,
) -> str:
    """Trimmed value of a free-text field; records a Swedish error when it is not acceptable."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if multiline:
        text = text.replace("\r\n", "\n")
    if not text:
        if required:
            errors.add(name, f"{label} måste fyllas i.")
        return ""
    if len(text) > max_length:
        errors.add(name, f"{label} får vara högst {max_length} tecken.")
    elif _MARKUP_RE.search(text):
        errors.add(name, f"{label} får inte innehålla HTML-kod eller skript.")
    elif _CONTROL_RE.search(text) or (not multiline and "\n" in text):
        errors.add(name, f"{label} innehåller otillåtna tecken.")
    return text


def name_field(errors: FormErrors, name: str, label: str, value: str | None) -> str:
    """A person's name: required, letters with spaces, hyphens and apostrophes only."""
    text = text_field(errors, name, label, value, required=True)
    if text and name not in errors.by_field and not _NAME_RE.match(text):
        errors.add(name, f"{label} får bara innehålla bokstäver, mellanslag och bindestreck.")
    return text


def choice_field(
    errors: FormErrors, name: str, label: str, value: str | None, allowed: tuple[str, ...]
) -> str:
    """One of ``allowed``; a missing or foreign value is an error."""
    if value in allowed:
        return value
    errors.add(name, f"Välj {label}.")
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
        errors.add(name, f"{label} måste fyllas i.")
        return None
    if len(text) > MAX_LENGTH:
        errors.add(name, f"{label} får vara högst {MAX_LENGTH} tecken.")
        return None
    parsed = parse_compact_date(text)
    if parsed is None:
        errors.add(name, f"{label} är inte ett giltigt datum. Skriv ÅÅÅÅMMDD.")
        return None
    if parsed > today:
        errors.add(name, f"{label} kan inte vara i framtiden.")
        return None
    if parsed.year < 1880:
        errors.add(name, f"{label} är för långt tillbaka i tiden.")
        return None
    return parsed


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` for substring search."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
