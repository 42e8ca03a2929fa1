"""Region profiles: how a region's reservnummer look in PMO's Patient-ID field.

Reservnummer formats differ between regions, and we do not know how the real system computes
them, so a profile is configuration (``config/regions/<key>.toml``): a whole-string regular
expression with the named groups ``date`` and ``reserve``, and the printed example. The robot
checks format only.

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

from flows.field_rules import FieldRules, parse_field_rules
from robot.errors import ConfigError

_REQUIRED_GROUPS = ("date", "reserve")


@dataclass(frozen=True)
class RegionProfile:
    """One region's reservnummer format."""

    key: str
    name: str
    pattern: re.Pattern[str]
    example: str
    date_length: int
    # Birth dates ("MM-DD") given to people whose real one is unknown ([birth_dates]).
    estimated_birth_dates: frozenset[str] = frozenset()
    # What the forms take, field by field (``[fields.*]``; see flows/field_rules.py).
    field_rules: FieldRules = field(default_factory=FieldRules)

    def match(self, text: str) -> re.Match[str] | None:
        """Match a whole, already trimmed, candidate reservnummer against the profile."""
        return self.pattern.fullmatch(text)

    @property
    def reads_sex(self) -> bool:
        """True when the pattern has a ``sex`` group (a letter M or K)."""
        return "sex" in self.pattern.groupindex

    def is_estimated_birth_date(self, birth_date: date) -> bool:
        """True for a date the region gives when the real one is unknown (often 1 January):
        many people share it, so matching wants more than the name (flows/matching.py)."""
        return f"{birth_date.month:02d}-{birth_date.day:02d}" in self.estimated_birth_dates


def _estimated_dates(section: dict[str, object]) -> frozenset[str]:
    days = section.get("estimated", [])
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
        profile = RegionProfile(
            key=str(region.get("key", key)),
            name=str(region["name"]),
            pattern=pattern,
            example=str(reserv["example"]),
            date_length=int(reserv.get("date_length", 8)),
            estimated_birth_dates=_estimated_dates(data.get("birth_dates", {})),
            field_rules=parse_field_rules(data.get("fields", {}), where=path.name),
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
    return profile
