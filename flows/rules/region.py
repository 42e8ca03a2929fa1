"""Region profiles: where regions doing the same routine differ, as configuration.

A profile (``config/regions/<key>.toml``) holds:

- the reservnummer format (``[reservnummer]``): the family (``format``: ``gavleborg``,
  ``nrid``, ``sll`` or ``skane``, see ``flows.rules.reserv_formats``), the input pattern (a
  whole-string regular expression with named groups, read by the robot and the mock sites),
  the pattern as published with its source, an example, the check digit demanded (``none``, or
  ``nrid``: Inera's published rule), whether PMO's Patient-ID keeps Reservnummersystemet's
  form (``pmo_form``), and the identifier system (``system``) for standard output;
- what PMO's sex field gets for a person whose sex is unknown (``[sex] unknown_in_pmo``;
  by default such a request goes to a person);
- what the robot does with a protected identity: ``register`` it with a reservnummer (Region
  Gävleborg's routine) or ``hand_over`` at once without creating anything (Region Stockholm's
  guidance: as a rule no reservnummer for them);
- the birth dates given when the real one is unknown (for matching), the patient-group table's
  file (``groups.toml`` unless named), and the forms' field rules.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast

from flows.rules.field_rules import FieldRules, parse_field_rules
from flows.rules.model import Sex
from flows.rules.reserv_formats import (
    FAMILIES,
    Completion,
    Family,
    ReservReading,
    carries_unknown_sex,
    completion_of,
    read,
)
from robot.errors import ConfigError

# The named groups each family's pattern must have (flows/rules/reserv_formats.py reads them).
_REQUIRED_GROUPS: dict[Family, tuple[str, ...]] = {
    "gavleborg": ("date", "reserve", "sex"),
    "nrid": ("series", "date", "reserve", "sex"),
    "sll": ("reserve",),
    "skane": ("date", "reserve"),
}

ProtectedIdentityAction = Literal["register", "hand_over"]
CheckDigit = Literal["none", "nrid"]
PmoForm = Literal["as_shown", "compact"]
UnknownSexInPmo = Literal["hand_over", "man", "kvinna"]
_PROTECTED_ACTIONS: tuple[ProtectedIdentityAction, ...] = ("register", "hand_over")
_CHECKS: tuple[CheckDigit, ...] = ("none", "nrid")
_PMO_FORMS: tuple[PmoForm, ...] = ("as_shown", "compact")
_UNKNOWN_SEX: tuple[UnknownSexInPmo, ...] = ("hand_over", "man", "kvinna")


@dataclass(frozen=True)
class RegionProfile:
    """One region's rules: reservnummer format, protected identities, groups, dates, fields."""

    key: str
    name: str
    # The input pattern (named groups per family, see _REQUIRED_GROUPS).
    pattern: re.Pattern[str]
    example: str
    # The format family (flows/rules/reserv_formats.py).
    format: Family = "gavleborg"
    # The pattern exactly as published, and where (``config show`` prints both).
    published: str = ""
    source: str = ""
    # The check digit the robot demands: "none" (not published) or "nrid" (Inera's rule).
    check: CheckDigit = "none"
    # PMO's Patient-ID: "as_shown" (exactly as Reservnummersystemet shows it: the routine
    # pastes so the format stays right) or "compact" (without the hyphen).
    pmo_form: PmoForm = "as_shown"
    # A request whose sex is unknown: "hand_over" (a person decides; the routine only knows
    # Man/Kvinna) or the sex PMO's field gets while the number says X.
    unknown_sex_in_pmo: UnknownSexInPmo = "hand_over"
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

    def read(self, text: str) -> ReservReading | None:
        """The number ``text`` as the profile's format reads it (None: not this format)."""
        found = self.match(text)
        return read(self.format, found, check=self.check) if found is not None else None

    def says_sex_unknown(self, text: str) -> bool:
        """True for a number of this format that says the sex is unknown (Gävleborg's ``X``,
        an NRID letter ``G``): a sex PMO shows beside it is the profile's stand-in, not the
        person's (``[sex] unknown_in_pmo``), so matching treats the sex as unknown."""
        reading = self.read(text.strip().upper())
        return (
            reading is not None
            and reading.valid
            and reading.sex is None
            and carries_unknown_sex(self.format)
        )

    def pmo_text(self, canonical: str) -> str:
        """A canonical reservnummer as PMO's Patient-ID field holds it (``pmo_form``)."""
        return canonical.replace("-", "") if self.pmo_form == "compact" else canonical

    @property
    def reads_sex(self) -> bool:
        """True when the profile's numbers carry the sex (a ``sex`` group: Gävleborg's M/K/X,
        NRID's digit)."""
        return "sex" in self.pattern.groupindex

    @property
    def number_has_birth_date(self) -> bool:
        """False when the number carries no birth date (SLL): PMO's form then asks for one."""
        return "date" in self.pattern.groupindex

    @property
    def completion(self) -> Completion:
        """How completion changes the Patient-ID (flows/rules/reserv_formats.py)."""
        return completion_of(self.format)

    @property
    def registers_unknown_sex(self) -> bool:
        """True when a request with unknown sex gets an X number and PMO the configured sex."""
        return carries_unknown_sex(self.format) and self.unknown_sex_in_pmo != "hand_over"

    @property
    def pmo_sex_for_unknown(self) -> Sex | None:
        """The sex PMO's field gets for a person whose sex is unknown (None: a person)."""
        return {"man": Sex.MAN, "kvinna": Sex.KVINNA}.get(self.unknown_sex_in_pmo)

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
            "reservnummer_published": self.published,
            "reservnummer_source": self.source,
            "reservnummer_example": self.example,
            "reservnummer_pattern": self.pattern.pattern,
            "check_digit": self.check,
            "pmo_form": self.pmo_form,
            "unknown_sex_in_pmo": self.unknown_sex_in_pmo,
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

    Raises ``ConfigError`` when the file is missing, the pattern does not compile, lacks its
    family's named groups, or does not accept (and read as valid) its own example.
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
        family = cast(Family, _choice(reserv["format"], FAMILIES, "format"))
        profile = RegionProfile(
            key=str(region.get("key", key)),
            name=str(region["name"]),
            pattern=pattern,
            example=str(reserv["example"]),
            format=family,
            published=str(reserv["published"]),
            source=str(reserv["source"]),
            check=cast(CheckDigit, _choice(reserv.get("check", "none"), _CHECKS, "check")),
            pmo_form=cast(
                PmoForm, _choice(reserv.get("pmo_form", "as_shown"), _PMO_FORMS, "pmo_form")
            ),
            unknown_sex_in_pmo=cast(
                UnknownSexInPmo,
                _choice(
                    data.get("sex", {}).get("unknown_in_pmo", "hand_over"),
                    _UNKNOWN_SEX,
                    "sex.unknown_in_pmo",
                ),
            ),
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
    missing = [g for g in _REQUIRED_GROUPS[family] if g not in profile.pattern.groupindex]
    if missing:
        raise ConfigError(f"Mönstret i {path.name} saknar grupperna {', '.join(missing)}")
    if profile.check == "nrid" and family != "nrid":
        raise ConfigError(f'check = "nrid" i {path.name} gäller bara format = "nrid"')
    reading = profile.read(profile.example)
    if reading is None or not reading.valid:
        raise ConfigError(f"Mönstret i {path.name} godtar inte sitt eget exempel")
    return profile
