"""PMO's Patient-ID format check: the same rule on the server and (as data) in the page.

Right format: 12 digits with a century (18-20) whose last 10 pass the Luhn test (personnummer;
a samordningsnummer has 60 added to the day and passes the same test), or a reservnummer in the
region profile's format (``config/regions/<region>.toml``: its ``pattern`` and ``format``) in
the form PMO keeps (``pmo_form``: ``as_shown``, exactly as Reservnummersystemet shows it, or
``compact``, without the hyphen). Anything else gets the red marker: Region Gävleborg's number
without its hyphen under ``as_shown``, with it under ``compact``, and the routine's printed
rendering ``19612121201M7`` always. Format only: a date part need not be a calendar date.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mock_sites.common.luhn import luhn_valid

# The reservnummer as PMO keeps it, per format and ``pmo_form`` (JavaScript-compatible syntax;
# each is a published pattern: see the region profiles).
_PMO_PATTERNS = {
    ("gavleborg", "as_shown"): r"^(?<date>[0-9]{8})-[0-9]{2}[MKX][0-9]$",
    ("gavleborg", "compact"): r"^(?<date>[0-9]{8})[0-9]{2}[MKX][0-9]$",
    ("nrid", "as_shown"): r"^(?<series>[0-9]{2})(?<date>[0-9]{6})"
    r"[A-HJ-NPR-UX-Z]{2}[0-9A-HJ-NPR-UX-Z][0-9]$",
    ("sll", "as_shown"): r"^99[0-9]{10}$",
    ("skane", "as_shown"): r"^(?<date>[0-9]{6}|[0-9]{8})[DEF][A-Z][01][A-Z]$",
}


@dataclass(frozen=True)
class PatientIdRule:
    """The format rule of one region."""

    js_pattern: str
    kind: str = "gavleborg"

    @classmethod
    def for_region(cls, region: str, config_dir: Path) -> PatientIdRule:
        path = config_dir / "regions" / f"{region}.toml"
        with path.open("rb") as handle:
            reserv = tomllib.load(handle)["reservnummer"]
        kind = str(reserv.get("format", "gavleborg"))
        form = str(reserv.get("pmo_form", "as_shown"))
        # Only Region Gävleborg's format has a hyphen to drop.
        pattern = _PMO_PATTERNS.get((kind, form)) or _PMO_PATTERNS[(kind, "as_shown")]
        return cls(js_pattern=pattern, kind=kind)

    @property
    def has_birth_date(self) -> bool:
        """False when the number carries no birth date (SLL): the form asks for one."""
        return "(?<date>" in self.js_pattern

    @property
    def reserv_pattern(self) -> str:
        """The pattern in Python syntax (named groups with a P)."""
        return self.js_pattern.replace("(?<", "(?P<")

    def is_personnummer(self, value: str) -> bool:
        return (
            len(value) == 12
            and value.isascii()
            and value.isdigit()
            and value[:2] in ("18", "19", "20")
            and luhn_valid(value[2:])
        )

    def is_reservnummer(self, value: str) -> bool:
        return re.fullmatch(self.reserv_pattern, value) is not None

    def is_valid(self, value: str) -> bool:
        return self.is_personnummer(value) or self.is_reservnummer(value)

    def birth_key(self, value: str, birth_date: str = "") -> str:
        """The birth date part (ÅÅÅÅMMDD) PMO searches by; a samordningsnummer's day minus 60;
        ``birth_date`` (the form's Födelsedatum) for a number that carries none."""
        if self.is_personnummer(value):
            day = int(value[6:8])
            if day > 60:
                day -= 60
            return f"{value[:6]}{day:02d}"
        match = re.fullmatch(self.reserv_pattern, value)
        if match is None:
            return value[:8]
        groups = match.groupdict()
        if "date" not in groups:
            return birth_date
        if "series" in groups:  # NRID: the series says the century (22 -> 19, 23 -> 20)
            century = (int(groups["series"]) - 19) % 3 + 19
            return f"{century}{groups['date']}" if groups["series"] != "00" else ""
        return _with_century(groups["date"])


def _with_century(date_part: str) -> str:
    """``ÅÅÅÅMMDD`` for a date part; a six-digit ``ÅÅMMDD`` (Skåne) gets the latest century
    that does not put it in the future."""
    if len(date_part) != 6 or not date_part.isdigit():
        return date_part
    today = date.today()
    year = today.year - (today.year - int(date_part[:2])) % 100
    if (year, date_part[2:4], date_part[4:]) > (today.year, f"{today:%m}", f"{today:%d}"):
        year -= 100
    return f"{year:04d}{date_part[2:]}"
