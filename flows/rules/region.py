"""Region profiles: where regions doing the same routine differ, as configuration.

A profile (``config/regions/<key>.toml``) holds:

- the reservnummer format in PMO's Patient-ID field: a whole-string regular expression with the
  named groups ``date`` and ``reserve``, the example, and the format family (``printed``:
  Gävleborg's ``19612121201M7``; ``nrid``: Inera's national reserve id ``XXYYMMDDNNGC``, whose
  date part has no century) with its check character (``none``, or ``mod31``: this project's
  own, see ``flows.rules.identity``; the real algorithm is not public to us).
- what the robot does with a protected identity: ``register`` it with a reservnummer (Region
  Gävleborg's routine) or ``hand_over`` at once without creating anything (Region Stockholm's
  guidance: as a rule no reservnummer for them);
- the birth dates given when the real one is unknown (for matching), the patient-group table's
  file (``groups.toml`` unless named), and the forms' field rules.

If a profile's pattern also has a named group ``sex`` (one letter, ``M`` or ``K``), the sex is
read from it; Gävleborg's printed format does not say that it carries the sex, so its profile
has no such group.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast

from flows.rules.field_rules import FieldRules, parse_field_rules
from robot.errors import ConfigError

_REQUIRED_GROUPS = ("date", "reserve")

ProtectedIdentityAction = Literal["register", "hand_over"]
ReservFormat = Literal["printed", "nrid"]
CheckCharacter = Literal["none", "mod31"]
_PROTECTED_ACTIONS: tuple[ProtectedIdentityAction, ...] = ("register", "hand_over")
_FORMATS: tuple[ReservFormat, ...] = ("printed", "nrid")
_CHECKS: tuple[CheckCharacter, ...] = ("none", "mod31")


@dataclass(frozen=True)
class RegionProfile:
    """One region's rules: reservnummer format, protected identities, groups, dates, fields."""

    key: str
    name: str
    pattern: re.Pattern[str]
    example: str
    date_length: int
    # "printed" (Gävleborg's 19612121201M7) or "nrid" (Inera's XXYYMMDDNNGC).
    format: ReservFormat = "printed"
    # The check character the format check demands ("none", or this project's "mod31").
    check: CheckCharacter = "none"
    # What the robot does with a protected identity (``[protected_identity] action``).
    protected_identity: ProtectedIdentityAction = "register"
    # The patient-group table, a file in the configuration folder.
    groups_file: str = "groups.toml"
    # Whether the profile says it was confirmed by the region (``[region] confirmed``).
    confirmed: bool = True
    # Birth dates ("MM-DD") given to people whose real one is unknown ([birth_dates]).
    estimated_birth_dates: frozenset[str] = frozenset()
    # What the forms take, field by field (``[fields.*]``; see flows/rules/field_rules.py).
    field_rules: FieldRules = field(default_factory=FieldRules)
    # The identifier system of the profile's reserve numbers, for standard output (FHIR
    # ``Identifier.system``): an ``urn:oid:...`` or a URI (``[reservnummer] system``); empty
    # when the region has not said.
    identifier_system: str = ""

    def match(self, text: str) -> re.Match[str] | None:
        """Match a whole, already trimmed, candidate reservnummer against the profile."""
        return self.pattern.fullmatch(text)

    @property
    def reads_sex(self) -> bool:
        """True when the pattern has a ``sex`` group (a letter M or K)."""
        return "sex" in self.pattern.groupindex

    def is_estimated_birth_date(self, birth_date: date) -> bool:
        """True for a date the region gives when the real one is unknown (often 1 January):
        many people share it, so matching wants more than the name (flows/rules/matching.py)."""
        return f"{birth_date.month:02d}-{birth_date.day:02d}" in self.estimated_birth_dates

    @property
    def hands_over_protected(self) -> bool:
        """True when a protected identity goes to a person before anything is created."""
        return self.protected_identity == "hand_over"

    def summary(self) -> dict[str, object]:
        """The profile as ``config show`` prints it (a profile holds no secrets)."""
        return {
            "key": self.key,
            "name": self.name,
            "confirmed": self.confirmed,
            "reservnummer_format": self.format,
            "reservnummer_example": self.example,
            "reservnummer_pattern": self.pattern.pattern,
            "check_character": self.check,
            "date_length": self.date_length,
            "protected_identity": self.protected_identity,
            "groups_file": self.groups_file,
            "estimated_birth_dates": sorted(self.estimated_birth_dates),
            "field_rules": sorted(self.field_rules.by_field),
            "identifier_system": self.identifier_system,
        }


def _choice(value: object, allowed: tuple[str, ...], what: str) -> str:
    text = str(value)
    if text not in allowed:
        raise ValueError(f"{what} ska vara en av {', '.join(allowed)}, inte {text!r}")
    return text


# Without a [birth_dates] section a profile gets the common estimate, 1 January: treating a
# date as estimated only ever turns "same" into "a person looks" (flows/rules/matching.py).
_DEFAULT_ESTIMATED = ["01-01"]


def _estimated_dates(section: dict[str, object]) -> frozenset[str]:
    days = section.get("estimated", _DEFAULT_ESTIMATED)
    if not isinstance(days, list):
        raise ValueError("birth_dates.estimated ska vara en lista")
    for day in days:
        month, _, dd = str(day).partition("-")
        if not (month.isdigit() and dd.isdigit() and len(month) == len(dd) == 2):
            raise ValueError(f"birth_dates.estimated: {day!r} är inte MM-DD")
        date(2000, int(month), int(dd))  # raises ValueError for 02-30
    return frozenset(str(d) for d in days)


def load_region_profile(config_dir: Path, key: str = "gavleborg") -> RegionProfile:
    """Load ``config_dir/regions/<key>.toml`` and check that it is self-consistent.

    Raises ``ConfigError`` when the file is missing, the pattern does not compile, lacks the
    ``date``/``reserve`` groups, or does not accept its own example.
    """
    path = config_dir / "regions" / f"{key}.toml"
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Regionprofilen saknas: {path}", code="region_missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Regionprofilen går inte att läsa: {path}: {exc}") from exc
    try:
        region = data["region"]
        reserv = data["reservnummer"]
        pattern = re.compile(str(reserv["pattern"]))
        protected = data.get("protected_identity", {})
        groups_file = str(data.get("groups", {}).get("file", "groups.toml"))
        if Path(groups_file).name != groups_file or not groups_file.endswith(".toml"):
            raise ValueError(f"groups.file ska vara ett filnamn *.toml, inte {groups_file!r}")
        profile = RegionProfile(
            key=str(region.get("key", key)),
            name=str(region["name"]),
            pattern=pattern,
            example=str(reserv["example"]),
            date_length=int(reserv.get("date_length", 8)),
            format=cast(ReservFormat, _choice(reserv.get("format", "printed"), _FORMATS, "format")),
            check=cast(CheckCharacter, _choice(reserv.get("check", "none"), _CHECKS, "check")),
            protected_identity=cast(
                ProtectedIdentityAction,
                _choice(
                    protected.get("action", "register"),
                    _PROTECTED_ACTIONS,
                    "protected_identity.action",
                ),
            ),
            groups_file=groups_file,
            confirmed=bool(region.get("confirmed", True)),
            estimated_birth_dates=_estimated_dates(data.get("birth_dates", {})),
            field_rules=parse_field_rules(data.get("fields", {}), where=path.name),
            identifier_system=str(reserv.get("system", "")),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"Regionprofilen {path.name} är ofullständig: {exc}") from exc
    missing = [g for g in _REQUIRED_GROUPS if g not in profile.pattern.groupindex]
    if missing:
        raise ConfigError(f"Mönstret i {path.name} saknar grupperna {', '.join(missing)}")
    found = profile.match(profile.example)
    if found is None:
        raise ConfigError(f"Mönstret i {path.name} godtar inte sitt eget exempel")
    if len(found.group("date")) != profile.date_length:
        raise ConfigError(f"Datumdelen i {path.name} har inte längden date_length")
    if profile.date_length not in (6, 8):
        raise ConfigError(f"date_length i {path.name} ska vara 6 (utan sekel) eller 8")
    if profile.check == "mod31" and mod31_check(profile.example[:-1]) != profile.example[-1]:
        raise ConfigError(f"Exemplet i {path.name} har inte rätt kontrolltecken (mod31)")
    return profile


# The NRID alphabet: digits and capital letters without I, O, Q, V, W (31 characters).
NRID_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUXYZ"


def mod31_check(body: str) -> str | None:
    """This project's NRID check character over ``body`` (the first 11 characters).

    Inera's real algorithm is not public to us, so this is our own, documented and used by the
    mock Reservnummersystemet too (mock_sites/README.md): each character's index in
    ``NRID_ALPHABET`` weighted by its position (1, 2, ...), summed, modulo 31, is the index of
    the check character. 31 is prime and every weight is below it, so any single wrong
    character and any swap of two neighbours changes the check character. None when ``body``
    holds a character outside the alphabet.
    """
    total = 0
    for weight, char in enumerate(body, start=1):
        index = NRID_ALPHABET.find(char)
        if index < 0:
            return None
        total += weight * index
    return NRID_ALPHABET[total % 31]
