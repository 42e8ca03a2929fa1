"""Reserve-number formats as they are published, one family per publication.

A region profile (``flows.rules.region``) names its family in ``[reservnummer] format`` and
carries the family's input pattern (a regular expression with named groups, read by the robot
and by the mock sites alike), the pattern as published and the publication. This module holds
what a regular expression cannot say: the one canonical form, the check digit, the birth date
and the sex a number carries, and how the routine's completion treats it.

- ``gavleborg``: Region Gävleborg, ``YYYYMMDD-NNSC`` (HL7 Sweden's "Region Gävleborg 2":
  ``^\\d{8}-\\d{2}[MKX]\\d$``): birth date, hyphen, 2-digit serial, sex ``M``/``K``/``X``
  (``X`` unknown), check digit. The hyphen is optional on input; the canonical form has it,
  as published. The routine prints its example as ``19612121201M7``: the hyphen rendered as a
  ``2`` by the PDF, so ``19612121201M7`` is read as ``19612121-01M7`` (the group ``printed``
  of the profile's pattern). The date part need not be a calendar date (the printed one is
  1961-21-21), and the check-digit rule is not published: no check.
- ``nrid``: Inera's national reserve identity ``XXYYMMDDNNGC`` (stored without hyphen, as
  Inera says): ``XX`` the birth century plus a series constant 3, 6, ... 78 (19 -> 22, 20 -> 23),
  ``00`` for an unknown date (then ``MM`` 20-99 and ``DD`` 40-59 are a serial); ``NN`` capitals
  without I, O, Q, V, W; ``G`` a sex digit as in a personnummer (even woman, odd man) or such a
  capital for an unknown sex; ``C`` a Luhn digit over the first 11 characters with each letter
  counted as its ASCII code (``nrid_check_digit``; HL7 Sweden's ``98240301AA06`` passes).
- ``sll``: Region Stockholm's ``99`` + ten digits. The check rule is not published (no check);
  the sex digit's convention is not published either, so the robot reads no sex from it; the
  number carries no birth date.
- ``skane``: Region Skåne, ``^(\\d{6}|\\d{8})[DEF][A-Z][01][A-Z]$``: a birth date (six digits
  without century, or eight) and four characters whose meaning is not published: no sex, no
  check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from flows.rules.model import Sex

Family = Literal["gavleborg", "nrid", "sll", "skane"]
FAMILIES: tuple[Family, ...] = ("gavleborg", "nrid", "sll", "skane")
# How the routine's completion changes the Patient-ID: "last_four" deletes the last four
# characters and types the personnummer's last four (Region Gävleborg's routine); "replace"
# selects the whole field and types the personnummer (no routine published for the others).
Completion = Literal["last_four", "replace"]

# The NRID letters: capitals without I, O, Q, V and W.
NRID_LETTERS = "ABCDEFGHJKLMNPRSTUXYZ"
_NRID_UNKNOWN_DATE = "00"


@dataclass(frozen=True)
class ReservReading:
    """What a matched reserve number says: its canonical form, date part, birth date, sex."""

    value: str
    date_part: str
    birth_date: date | None
    sex: Sex | None
    # False when the number's own rules refuse it (NRID series or check digit).
    valid: bool = True
    problem: str = ""


def nrid_check_digit(body: str) -> int:
    """Inera's NRID check digit over the first 11 characters ``XXYYMMDDNNG``.

    "Enligt standard Luhn ... Bokstäver ersätts med dess ASCII-värde, t.ex. A -> 65.
    Beräkningen baseras på hela id-strängen före kontrollsiffran" (Inera's NRID format page,
    quoted in the PersonIdentifiers.Swedish and Billas.Identifier libraries): from the right,
    every other value is doubled (the rightmost is), the digits of every product are summed,
    and the check digit brings the sum to a multiple of ten.
    """
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) if char.isdigit() else ord(char)
        product = value * 2 if index % 2 == 0 else value
        total += sum(int(d) for d in str(product))
    return (10 - total % 10) % 10


def nrid_century(series: str) -> int | None:
    """The birth century of an NRID series ``XX`` (22, 25, ... -> 19; 23, 26, ... -> 20);
    None for ``00`` (unknown date) and for a series Inera does not hand out."""
    xx = int(series)
    if not 22 <= xx <= 98:
        return None
    century = (xx - 19) % 3 + 19
    return century if century in (19, 20) and xx - century >= 3 else None


def read(
    family: Family, m: re.Match[str], *, check: str, today: date | None = None
) -> ReservReading:
    """Read a number the profile's pattern matched (see the module docstring per family)."""
    if family == "gavleborg":
        date_part, reserve = m.group("date"), m.group("reserve")
        return ReservReading(
            value=f"{date_part}-{reserve}",
            date_part=date_part,
            birth_date=calendar_date(date_part),
            sex=_letter_sex(m.groupdict().get("sex")),
        )
    if family == "nrid":
        return _read_nrid(m, check=check, today=today or date.today())
    if family == "skane":
        date_part = m.group("date")
        full = with_century(date_part, today=today)
        return ReservReading(
            value=m.group(0), date_part=date_part, birth_date=calendar_date(full), sex=None
        )
    return ReservReading(value=m.group(0), date_part="", birth_date=None, sex=None)


def _read_nrid(m: re.Match[str], *, check: str, today: date) -> ReservReading:
    series, date_part, reserve = m.group("series"), m.group("date"), m.group("reserve")
    value = f"{series}{date_part}{reserve}"
    sex_char = m.group("sex")
    sex = (Sex.MAN if int(sex_char) % 2 else Sex.KVINNA) if sex_char.isdigit() else None
    reading = ReservReading(value=value, date_part=date_part, birth_date=None, sex=sex)
    if check == "nrid" and nrid_check_digit(value[:11]) != int(value[11]):
        return _refused(reading, "Reservnumret har fel kontrollsiffra: kontrollera hela numret.")
    mm, dd = int(date_part[2:4]), int(date_part[4:6])
    if series == _NRID_UNKNOWN_DATE:
        if not (20 <= mm <= 99 and 40 <= dd <= 59):
            return _refused(reading, "Reservnumret är ogiltigt: okänt datum har fel löpnummer.")
        return reading
    century = nrid_century(series)
    born = calendar_date(f"{century}{date_part}") if century is not None else None
    if born is None or born > today:
        return _refused(reading, "Reservnumret är ogiltigt: serien eller datumet stämmer inte.")
    return ReservReading(value=value, date_part=f"{century}{date_part}", birth_date=born, sex=sex)


def _refused(reading: ReservReading, problem: str) -> ReservReading:
    return ReservReading(
        value=reading.value,
        date_part=reading.date_part,
        birth_date=None,
        sex=reading.sex,
        valid=False,
        problem=problem,
    )


def _letter_sex(letter: str | None) -> Sex | None:
    """``M`` man, ``K`` kvinna; ``X`` (unknown) and anything else: not known."""
    return {"M": Sex.MAN, "K": Sex.KVINNA}.get(letter or "")


def completion_of(family: Family) -> Completion:
    """How the routine's completion changes a number of this family (see ``Completion``)."""
    return "last_four" if family == "gavleborg" else "replace"


def carries_unknown_sex(family: Family) -> bool:
    """True when the family can say "sex unknown" (Gävleborg's ``X``, an NRID letter ``G``)."""
    return family in ("gavleborg", "nrid")


def calendar_date(date_part: str) -> date | None:
    """The date of ``YYYYMMDD``, or None when it is no calendar date."""
    if len(date_part) != 8 or not date_part.isdigit():
        return None
    try:
        return date(int(date_part[:4]), int(date_part[4:6]), int(date_part[6:8]))
    except ValueError:
        return None


def with_century(date_part: str, *, today: date | None = None) -> str:
    """``YYYYMMDD`` for a date part; a 6-digit ``YYMMDD`` gets the latest century that does
    not put it in the future (as a personnummer without century)."""
    if len(date_part) != 6 or not date_part.isdigit():
        return date_part
    now = today or date.today()
    yy, mm, dd = int(date_part[:2]), int(date_part[2:4]), int(date_part[4:])
    year = now.year - (now.year - yy) % 100
    if (year, max(mm, 1), max(dd, 1)) > (now.year, now.month, now.day):
        year -= 100
    return f"{year:04d}{date_part[2:]}"
