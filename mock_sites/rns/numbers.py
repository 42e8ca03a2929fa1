"""How the mock Reservnummersystemet makes its numbers, and the personnummer used in seed data.

Reservnummer: birth date ``ÅÅÅÅMMDD`` + a 3-digit serial (per birth date, increasing) + ``M``
or ``K`` by sex + one check digit: the Luhn (mod 10) digit over the 11 digits (date and
serial). Example: 1985-03-14, serial 002, a woman -> ``19850314002K`` + Luhn("19850314002").
The printed example of the routine (``19612121201M7``) has the same shape but does not carry
this check digit: nobody knows the real system's rule, so PMO checks the shape only.
"""

from __future__ import annotations

from datetime import date

from mock_sites.common.luhn import luhn_check_digit

MAX_SERIAL = 999


def reservnummer(birth_date: date, serial: int, sex: str) -> str:
    """The reservnummer for a birth date, serial (1..999) and sex ("M" or "K")."""
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError("serial out of range")
    if sex not in ("M", "K"):
        raise ValueError("sex must be M or K")
    digits = f"{birth_date:%Y%m%d}{serial:03d}"
    return f"{digits}{sex}{luhn_check_digit(digits)}"


def personnummer(birth_date: date, serial: int, *, samordning: bool = False) -> str:
    """A 12-digit personnummer (or samordningsnummer: day + 60) with a valid Luhn digit.

    Seed data uses serials 980-999 only, so a generated number cannot name a real person's
    personnummer by design of this project (see mock_sites/README.md).
    """
    day = birth_date.day + (60 if samordning else 0)
    ten = f"{birth_date:%y%m}{day:02d}{serial:03d}"
    return f"{birth_date:%Y%m%d}"[:2] + ten + str(luhn_check_digit(ten))


def reserv_serial(number: str) -> int | None:
    """The serial of a reservnummer made by this module, else None."""
    if len(number) == 13 and number[:11].isdigit() and number[11] in "MK":
        return int(number[8:11])
    return None
