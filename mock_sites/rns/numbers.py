"""How the mock Reservnummersystemet makes its numbers, and the personnummer used in seed data.

The format follows the region profile the mock is started with (``[reservnummer] format`` in
``<config_dir>/regions/<region>.toml``, read here: the mocks import nothing of the robot).
Every shape is a published one; where the publication has no check-digit rule, the mock's rule
is its own (marked below, and in mock_sites/README.md), and the robot does not check it:

- ``gavleborg`` (Region Gävleborg, ``YYYYMMDD-NNSC``): birth date, hyphen, a 2-digit serial per
  birth date (01-99), ``M``/``K``/``X`` (X: sex unknown), and a check digit: THE MOCK'S OWN,
  the Luhn digit over the ten digits of date and serial. 1985-03-14, serial 01, a woman ->
  ``19850314-01K`` + Luhn(``1985031401``).
- ``nrid`` (Inera's ``XXYYMMDDNNGC``): ``XX`` the birth century + 3 (the first series),
  ``YYMMDD``, two letters (without I, O, Q, V, W) counting the serial, ``G`` a sex digit
  (even woman, odd man) or a letter for an unknown sex, and ``C`` Inera's published check digit
  (Luhn over the first 11 characters, letters as their ASCII codes).
- ``sll`` (Region Stockholm, ``99`` + ten digits): ``99``, two serial digits, the year of issue
  (positions 5-6, as described), four more serial digits, a sex digit (THE MOCK'S OWN
  convention: odd man, even woman, as in a personnummer) and a check digit (THE MOCK'S OWN:
  Luhn over the first 11 digits). The serial runs over all birth dates (the number has none).
- ``skane`` (Region Skåne, ``YYYYMMDD`` + ``[DEF][A-Z][01][A-Z]``): the mock always uses ``D``
  and counts the serial in the other three characters (THE MOCK'S OWN: the meaning of the
  four characters is not published); the number carries no sex.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mock_sites.common.luhn import luhn_check_digit

FORMATS = ("gavleborg", "nrid", "sll", "skane")
NRID_LETTERS = "ABCDEFGHJKLMNPRSTUXYZ"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# The sexes a number can say "unknown" in (X, or an NRID letter G).
_UNKNOWN_SEX = ("gavleborg", "nrid")
_MAX_SERIAL = {"gavleborg": 99, "nrid": 21 * 21, "sll": 999_999, "skane": 26 * 2 * 26}


def nrid_check_digit(body: str) -> int:
    """Inera's NRID check digit over ``XXYYMMDDNNG`` (twin of flows.rules.reserv_formats)."""
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) if char.isdigit() else ord(char)
        product = value * 2 if index % 2 == 0 else value
        total += sum(int(d) for d in str(product))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class NumberFormat:
    """The reservnummer shape the mock hands out (one of ``FORMATS``)."""

    kind: str = "gavleborg"
    # The year of issue in an SLL number (positions 5-6): fixed, so seed data is deterministic.
    issue_year: int = 2025

    @classmethod
    def for_region(cls, region: str, config_dir: Path) -> NumberFormat:
        """The format named by the region profile."""
        with (config_dir / "regions" / f"{region}.toml").open("rb") as handle:
            reserv = tomllib.load(handle).get("reservnummer", {})
        kind = str(reserv.get("format", "gavleborg"))
        if kind not in FORMATS:
            raise ValueError(f"unknown reservnummer format {kind!r}")
        return cls(kind=kind)

    @property
    def max_serial(self) -> int:
        return _MAX_SERIAL[self.kind]

    @property
    def serial_per_birth_date(self) -> bool:
        """False for SLL: its number has no birth date, so one serial runs over all dates."""
        return self.kind != "sll"

    @property
    def takes_unknown_sex(self) -> bool:
        return self.kind in _UNKNOWN_SEX

    def reservnummer(self, birth_date: date, serial: int, sex: str) -> str:
        """The number for a birth date, serial (1..max_serial) and sex ("M", "K" or "X")."""
        if not 1 <= serial <= self.max_serial:
            raise ValueError("serial out of range")
        if sex not in ("M", "K") and not (sex == "X" and self.takes_unknown_sex):
            raise ValueError(f"sex {sex!r} does not fit the {self.kind} format")
        if self.kind == "nrid":
            letters = NRID_LETTERS[(serial - 1) // 21] + NRID_LETTERS[(serial - 1) % 21]
            sex_char = "X" if sex == "X" else str((serial % 5) * 2 + (1 if sex == "M" else 0))
            body = f"{birth_date.year // 100 + 3}{birth_date:%y%m%d}{letters}{sex_char}"
            return f"{body}{nrid_check_digit(body)}"
        if self.kind == "sll":
            digit = (serial % 5) * 2 + (1 if sex == "M" else 0)
            body = (
                f"99{serial // 10_000:02d}{self.issue_year % 100:02d}{serial % 10_000:04d}{digit}"
            )
            return f"{body}{luhn_check_digit(body)}"
        if self.kind == "skane":
            n = serial - 1
            return f"{birth_date:%Y%m%d}D{_LETTERS[n // 52]}{(n // 26) % 2}{_LETTERS[n % 26]}"
        digits = f"{birth_date:%Y%m%d}{serial:02d}"
        return f"{digits[:8]}-{digits[8:]}{sex}{luhn_check_digit(digits)}"

    def serial(self, number: str) -> int | None:
        """The serial of a number made in this format, else None."""
        if self.kind == "nrid":
            if len(number) == 12 and number[8] in NRID_LETTERS and number[9] in NRID_LETTERS:
                return NRID_LETTERS.index(number[8]) * 21 + NRID_LETTERS.index(number[9]) + 1
            return None
        if self.kind == "sll":
            if len(number) == 12 and number.isdigit() and number.startswith("99"):
                return int(number[2:4]) * 10_000 + int(number[6:10])
            return None
        if self.kind == "skane":
            tail = number[8:]
            if len(number) == 12 and tail[0] == "D" and tail[2] in "01" and tail[1].isalpha():
                return (
                    _LETTERS.index(tail[1]) * 52 + int(tail[2]) * 26 + _LETTERS.index(tail[3]) + 1
                )
            return None
        if len(number) == 13 and number[8] == "-" and number[9:11].isdigit():
            return int(number[9:11])
        return None


GAVLEBORG = NumberFormat()


def reservnummer(birth_date: date, serial: int, sex: str) -> str:
    """A reservnummer in Region Gävleborg's shape."""
    return GAVLEBORG.reservnummer(birth_date, serial, sex)


def personnummer(birth_date: date, serial: int, *, samordning: bool = False) -> str:
    """A 12-digit personnummer (or samordningsnummer: day + 60) with a valid Luhn digit.

    Seed data uses serials 980-999 only, so a generated number cannot name a real person's
    personnummer by design of this project (see mock_sites/README.md).
    """
    day = birth_date.day + (60 if samordning else 0)
    ten = f"{birth_date:%y%m}{day:02d}{serial:03d}"
    return f"{birth_date:%Y%m%d}"[:2] + ten + str(luhn_check_digit(ten))


def reserv_serial(number: str) -> int | None:
    """The serial of a Gävleborg-shape reservnummer, else None."""
    return GAVLEBORG.serial(number)
