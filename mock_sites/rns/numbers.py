"""How the mock Reservnummersystemet makes its numbers, and the personnummer used in seed data.

The format follows the region profile the mock is started with (``[reservnummer] format`` in
``<config_dir>/regions/<region>.toml``, read here: the mocks import nothing of the robot):

- ``printed`` (Region Gävleborg's shape): birth date ``ÅÅÅÅMMDD`` + a 3-digit serial (per birth
  date, increasing) + ``M`` or ``K`` by sex + one check digit: the Luhn (mod 10) digit over the
  11 digits (date and serial). Example: 1985-03-14, serial 002, a woman -> ``19850314002K`` +
  Luhn("19850314002"). The printed example of the routine (``19612121201M7``) has the same shape
  but does not carry this check digit: nobody knows the real system's rule, so PMO checks the
  shape only.
- ``nrid`` (Inera's national reserve id, 12 characters ``XXYYMMDDNNGC``): the profile's
  two-character ``prefix`` + birth date ``ÅÅMMDD`` + a 2-digit serial (01-99) + ``M``/``K`` +
  a check character: this project's own "mod31" (the real algorithm is not public to us): each
  character's index in ``0-9 A-Z without I O Q V W`` (31 characters) times its position
  (1..11), summed, modulo 31, is the check character's index. Example: prefix 99, 1985-03-14,
  serial 01, a woman -> ``9985031401K6``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mock_sites.common.luhn import luhn_check_digit

MAX_SERIAL = 999
NRID_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUXYZ"


@dataclass(frozen=True)
class NumberFormat:
    """The reservnummer shape the mock hands out: ``printed`` or ``nrid`` (with a prefix)."""

    kind: str = "printed"
    prefix: str = "99"

    @classmethod
    def for_region(cls, region: str, config_dir: Path) -> NumberFormat:
        """The format named by the region profile (``printed`` when it names none)."""
        with (config_dir / "regions" / f"{region}.toml").open("rb") as handle:
            reserv = tomllib.load(handle).get("reservnummer", {})
        kind = str(reserv.get("format", "printed"))
        if kind not in ("printed", "nrid"):
            raise ValueError(f"unknown reservnummer format {kind!r}")
        prefix = str(reserv.get("prefix", "99"))
        if kind == "nrid" and (len(prefix) != 2 or any(c not in NRID_ALPHABET for c in prefix)):
            raise ValueError(f"an NRID prefix is two characters of {NRID_ALPHABET}")
        return cls(kind=kind, prefix=prefix)

    @property
    def max_serial(self) -> int:
        return 99 if self.kind == "nrid" else MAX_SERIAL

    def reservnummer(self, birth_date: date, serial: int, sex: str) -> str:
        """The reservnummer for a birth date, serial (1..max_serial) and sex ("M" or "K")."""
        if not 1 <= serial <= self.max_serial:
            raise ValueError("serial out of range")
        if sex not in ("M", "K"):
            raise ValueError("sex must be M or K")
        if self.kind == "nrid":
            body = f"{self.prefix}{birth_date:%y%m%d}{serial:02d}{sex}"
            return body + mod31_check(body)
        digits = f"{birth_date:%Y%m%d}{serial:03d}"
        return f"{digits}{sex}{luhn_check_digit(digits)}"

    def serial(self, number: str) -> int | None:
        """The serial of a reservnummer made in this format, else None."""
        if self.kind == "nrid":
            if len(number) == 12 and number[8:10].isdigit() and number[10] in "MK":
                return int(number[8:10])
            return None
        if len(number) == 13 and number[:11].isdigit() and number[11] in "MK":
            return int(number[8:11])
        return None


PRINTED = NumberFormat()


def mod31_check(body: str) -> str:
    """This project's NRID check character (see the module docstring)."""
    total = sum(weight * NRID_ALPHABET.index(c) for weight, c in enumerate(body, start=1))
    return NRID_ALPHABET[total % 31]


def reservnummer(birth_date: date, serial: int, sex: str) -> str:
    """A reservnummer in the printed (Gävleborg) shape."""
    return PRINTED.reservnummer(birth_date, serial, sex)


def personnummer(birth_date: date, serial: int, *, samordning: bool = False) -> str:
    """A 12-digit personnummer (or samordningsnummer: day + 60) with a valid Luhn digit.

    Seed data uses serials 980-999 only, so a generated number cannot name a real person's
    personnummer by design of this project (see mock_sites/README.md).
    """
    day = birth_date.day + (60 if samordning else 0)
    ten = f"{birth_date:%y%m}{day:02d}{serial:03d}"
    return f"{birth_date:%Y%m%d}"[:2] + ten + str(luhn_check_digit(ten))


def reserv_serial(number: str) -> int | None:
    """The serial of a printed-shape reservnummer, else None."""
    return PRINTED.serial(number)
