"""PMO's Patient-ID format check: the same rule on the server and (as data) in the page.

Right format: 12 digits whose last 10 pass the Luhn test (personnummer; a samordningsnummer has
60 added to the day and passes the same test), or the region profile's reservnummer pattern
from ``config/regions/<region>.toml`` (Gävleborg's printed shape, or the national NRID shape
whose date part ``ÅÅMMDD`` has no century). Format only: the printed example ``19612121201M7``
has a date part that is not a calendar date, and it must be accepted.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mock_sites.common.luhn import luhn_valid


@dataclass(frozen=True)
class PatientIdRule:
    """The format rule of one region."""

    reserv_pattern: str

    @classmethod
    def for_region(cls, region: str, config_dir: Path) -> PatientIdRule:
        path = config_dir / "regions" / f"{region}.toml"
        with path.open("rb") as handle:
            profile = tomllib.load(handle)
        return cls(reserv_pattern=str(profile["reservnummer"]["pattern"]))

    @property
    def js_pattern(self) -> str:
        """The reservnummer pattern in JavaScript syntax (named groups without the P)."""
        return self.reserv_pattern.replace("(?P<", "(?<")

    def is_personnummer(self, value: str) -> bool:
        return len(value) == 12 and value.isascii() and value.isdigit() and luhn_valid(value[2:])

    def is_reservnummer(self, value: str) -> bool:
        return re.fullmatch(self.reserv_pattern, value) is not None

    def is_valid(self, value: str) -> bool:
        return self.is_personnummer(value) or self.is_reservnummer(value)

    def birth_key(self, value: str) -> str:
        """The birth date part (ÅÅÅÅMMDD) PMO searches by; a samordningsnummer's day minus 60."""
        if self.is_personnummer(value):
            day = int(value[6:8])
            if day > 60:
                day -= 60
            return f"{value[:6]}{day:02d}"
        match = re.fullmatch(self.reserv_pattern, value)
        if match and "date" in match.groupdict():
            return _with_century(match.group("date"))
        return value[:8]


def _with_century(date_part: str) -> str:
    """``ÅÅÅÅMMDD`` for a date part; the national format's ``ÅÅMMDD`` (no century) gets the
    latest century that does not put it in the future."""
    if len(date_part) != 6 or not date_part.isdigit():
        return date_part
    today = date.today()
    year = today.year - (today.year - int(date_part[:2])) % 100
    if (year, date_part[2:4], date_part[4:]) > (today.year, f"{today:%m}", f"{today:%d}"):
        year -= 100
    return f"{year:04d}{date_part[2:]}"
