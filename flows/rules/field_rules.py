"""What PMO's and Reservnummersystemet's forms accept, field by field, as data.

The rules live in the region profile (``[fields.<name>]`` in ``config/regions/<key>.toml``):
the longest value a field takes and the characters it takes. ``flows.rules.request`` checks every
request against them before anything is created, so a value the robot lets through is one the
forms take; a reservnummer is never created for a person PMO would then refuse. The mock sites
enforce the same file (``mock_sites/common/validation.py`` reads it on its own).

A rule's characters are ``letters`` (any script; one composed character per letter, so a
combining mark left over after Unicode composition is refused: the systems store each letter as
one character), ``digits`` (0-9) and the ``other`` characters listed. Lengths count characters
after composition (NFC). Messages name the refused character, never the value typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from robot.errors import ConfigError

# The stable codes a rule check gives (FieldError.code; the mock's messages carry the same).
RULE_CODES = ("field_too_long", "field_chars_refused", "field_mark_uncomposed")
SYSTEM_NAMES = {"pmo": "PMO", "rns": "Reservnummersystemet"}
_CHAR_NAMES = {" ": "mellanslag", "\n": "radbrytning"}


@dataclass(frozen=True)
class RuleProblem:
    """Why a value breaks a rule: a stable ``code`` and a Swedish ``message_sv``."""

    code: str
    message_sv: str


@dataclass(frozen=True)
class FieldRule:
    """One form field's limits in the systems it is typed into."""

    name: str
    systems: tuple[str, ...]
    max_length: int
    letters: bool = False
    digits: bool = False
    other: str = ""

    def allows(self, ch: str) -> bool:
        """True when the field takes the (composed) character ``ch``."""
        if ch in self.other:
            return True
        if self.digits and "0" <= ch <= "9":
            return True
        return self.letters and unicodedata.category(ch).startswith("L")

    def problem(self, value: str) -> RuleProblem | None:
        """The first way ``value`` breaks the rule (None when the systems take it)."""
        text = unicodedata.normalize("NFC", value)
        where = self.systems_sv
        if len(text) > self.max_length:
            return RuleProblem(
                "field_too_long",
                f"Högst {self.max_length} tecken: {where} tar inte emot fler. Korta av värdet.",
            )
        for ch in text:
            if self.allows(ch):
                continue
            if self.letters and unicodedata.category(ch).startswith("M"):
                return RuleProblem(
                    "field_mark_uncomposed",
                    "Ett accenttecken bildar ingen bokstav tillsammans med bokstaven före, och "
                    f"sådana tar {where} inte emot. Skriv bokstaven utan accenttecknet.",
                )
            return RuleProblem(
                "field_chars_refused",
                f"{where} tar inte emot tecknet {_shown(ch)} här. Tillåtet: {self.allowed_sv}.",
            )
        return None

    @property
    def systems_sv(self) -> str:
        names = [SYSTEM_NAMES.get(s, s) for s in self.systems]
        return " och ".join(names) if len(names) <= 2 else ", ".join(names)

    @property
    def allowed_sv(self) -> str:
        """The allowed characters, the way a person reads them."""
        parts = [p for p, on in (("bokstäver", self.letters), ("siffror", self.digits)) if on]
        named = [_CHAR_NAMES[c] for c in self.other if c in _CHAR_NAMES]
        listed = " ".join(c for c in self.other if c not in _CHAR_NAMES)
        parts += named
        if listed:
            parts.append(listed)
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " och " + parts[-1]


@dataclass(frozen=True)
class FieldRules:
    """The rules of one region's forms, by request field (``street``, ``family_name`` ...)."""

    by_field: Mapping[str, FieldRule] = field(default_factory=dict)

    def problem(self, name: str, value: str) -> RuleProblem | None:
        """How ``value`` for the field ``name`` breaks its rule (None: fine or no rule)."""
        rule = self.by_field.get(name)
        return rule.problem(value) if rule is not None else None


def parse_field_rules(data: Mapping[str, Any], *, where: str) -> FieldRules:
    """The ``[fields]`` table of a region profile; ``ConfigError`` when it is malformed."""
    rules: dict[str, FieldRule] = {}
    for name, raw in data.items():
        try:
            if not isinstance(raw, Mapping):
                raise TypeError("not a table")
            unknown = set(raw) - {"systems", "max_length", "letters", "digits", "other"}
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}")
            systems = tuple(str(s) for s in raw["systems"])
            rule = FieldRule(
                name=str(name),
                systems=systems,
                max_length=int(raw["max_length"]),
                letters=bool(raw.get("letters", False)),
                digits=bool(raw.get("digits", False)),
                other=str(raw.get("other", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"Fältregeln {name} i {where} är ofullständig: {exc}") from exc
        if rule.max_length < 1 or not systems or not set(systems) <= set(SYSTEM_NAMES):
            raise ConfigError(f"Fältregeln {name} i {where} har fel max_length eller systems")
        rules[rule.name] = rule
    return FieldRules(rules)


def _shown(ch: str) -> str:
    if ch in _CHAR_NAMES:
        return _CHAR_NAMES[ch]
    if ch.isprintable():
        return f"”{ch}”"
    return "ett osynligt tecken"
