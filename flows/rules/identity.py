"""Patient-IDs: personnummer, samordningsnummer and reservnummer, as PMO wants them.

Personnummer are validated by python-stdnum (``stdnum.se.personnummer``: date and Luhn check
digit). stdnum rejects samordningsnummer (day + 60) and Skatteverket's official test
samordningsnummer with month 00 or day 60 (day "00"), so those are checked here with stdnum's
Luhn and a date rule of our own. Reservnummer are matched against the region profile's pattern
and read by its format family (``flows.rules.reserv_formats``: canonical form, Inera's NRID
check digit, the birth date and sex a number carries).

PMO stores personnummer and samordningsnummer as 12 digits (with century), reservnummer as the
profile says (``RegionProfile.pmo_text``: as Reservnummersystemet shows them, by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import personnummer as stdnum_pnr

from flows.rules.model import Sex
from flows.rules.region import RegionProfile
from flows.rules.reserv_formats import calendar_date
from robot.errors import BusinessError

# 10 or 12 digits, optional '-' or '+' before the last four. No inner spaces: the shared test
# vectors count "090527 1474" as invalid.
_PNR_RE = re.compile(
    r"(?P<century>[0-9]{2})?(?P<yy>[0-9]{2})(?P<mm>[0-9]{2})(?P<dd>[0-9]{2})"
    r"(?P<sep>[-+]?)(?P<serial>[0-9]{3})(?P<check>[0-9])"
)
_SAMORDNING_OFFSET = 60


class IdKind(StrEnum):
    """Which of the three kinds of identity a Patient-ID is."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    RESERVNUMMER = "reservnummer"

    @property
    def label_sv(self) -> str:
        """As Reservnummersystemet's "Typ av id" column writes it."""
        return self.value.capitalize()


class InvalidIdentity(BusinessError):
    """The text is not a valid Patient-ID of any kind we accept."""

    default_code = "invalid_identity"


class BirthDateMismatch(BusinessError):
    """The personnummer's date part differs from the reservnummer it should complete."""

    default_code = "birth_date_mismatch"


@dataclass(frozen=True, repr=False)
class PatientId:
    """A validated Patient-ID, exactly one of personnummer, samordningsnummer or reservnummer.

    ``value`` is the canonical form (a reservnummer as Reservnummersystemet shows it, e.g.
    ``19612121-01M7``). ``birth_date`` is None when the number carries no calendar date (the
    printed ``19612121-01M7``, an SLL number, an official test samordningsnummer with month 00
    or day 60). ``sex`` is None when not known (an ``X`` number). ``repr`` masks the number, so
    a PatientId that ends up in a log or traceback does not leak it.
    """

    kind: IdKind
    value: str
    date_part: str
    birth_date: date | None
    sex: Sex | None

    def masked(self) -> str:
        """Birth year only, e.g. ``1961****-****``: for messages that must not leak the number."""
        return f"{self.value[:4]}****-****"

    def __repr__(self) -> str:
        return f"PatientId(kind={self.kind.value!r}, value={self.masked()!r})"


def parse_personnummer(text: str, *, today: date | None = None) -> PatientId:
    """Parse a personnummer or samordningsnummer in any usual form.

    Accepts 10 or 12 digits with an optional '-' or '+' before the last four. Without a
    century, the century is inferred: the latest one that does not put the birth date after
    ``today``, one more back for '+' (used from the year the person turns 100). Raises
    ``InvalidIdentity`` (never echoing the number) when the text is not valid.
    """
    m = _PNR_RE.fullmatch(text.strip())
    if m is None:
        raise InvalidIdentity(
            "Personnumret har fel format: ange 10 eller 12 siffror, till exempel ÅÅMMDD-NNNN."
        )
    mm, dd = int(m["mm"]), int(m["dd"])
    samordning = dd >= _SAMORDNING_OFFSET
    day = dd - _SAMORDNING_OFFSET if samordning else dd
    if m["century"] is not None:
        year = int(m["century"] + m["yy"])
    else:
        year = _infer_year(int(m["yy"]), mm, day, plus=m["sep"] == "+", today=today)
    if m["serial"] == "000":
        raise InvalidIdentity("Numret är ogiltigt: löpnumret 000 delas aldrig ut.")
    date_part = f"{year:04d}{m['mm']}{m['dd']}"
    digits10 = date_part[2:] + m["serial"] + m["check"]
    if samordning:
        birth = _samordning_birth_date(year, mm, day)
        if not luhn.is_valid(digits10):
            raise InvalidIdentity("Samordningsnumret är ogiltigt: kontrollsiffran stämmer inte.")
        kind = IdKind.SAMORDNINGSNUMMER
    else:
        try:
            stdnum_pnr.validate(f"{date_part}-{m['serial']}{m['check']}")
        except ValidationError as exc:
            raise InvalidIdentity(_stdnum_reason(exc)) from None
        birth = date(year, mm, day)
        kind = IdKind.PERSONNUMMER
    sex = Sex.MAN if int(m["serial"][2]) % 2 else Sex.KVINNA
    return PatientId(
        kind=kind,
        value=date_part + m["serial"] + m["check"],
        date_part=date_part,
        birth_date=birth,
        sex=sex,
    )


def parse_patient_id(text: str, *, profile: RegionProfile) -> PatientId:
    """Parse what staff paste into PMO's Patient-ID field, or what a site shows.

    The region's reservnummer pattern is tried first (letters are upper-cased: PMO wants them
    as capitals; the hyphen is optional where the format's is), then personnummer and
    samordningsnummer. Raises ``InvalidIdentity``.
    """
    cleaned = text.strip()
    reading = profile.read(cleaned.upper())
    if reading is not None:
        if not reading.valid:
            raise InvalidIdentity(reading.problem)
        return PatientId(
            kind=IdKind.RESERVNUMMER,
            value=reading.value,
            date_part=reading.date_part,
            birth_date=reading.birth_date,
            sex=reading.sex,
        )
    try:
        return parse_personnummer(cleaned)
    except InvalidIdentity as exc:
        raise InvalidIdentity(
            "Patient-ID har fel format: varken personnummer, samordningsnummer eller "
            f"reservnummer i formatet {profile.example}. {exc.message}"
        ) from None


def complete_personnummer(
    reserv: PatientId, personnummer: str, *, profile: RegionProfile
) -> PatientId:
    """The new Patient-ID when a person with a reservnummer gets a full personnummer.

    Region Gävleborg's routine deletes the last four characters of the Patient-ID (the
    reservnummer's serial, sex and check digit) and types the personnummer's last four: what
    is left, ``YYYYMMDD``, must be the personnummer's date. So ``personnummer`` may be the full
    number (10 or 12 digits; a 10-digit number takes the reservnummer's century) or, for that
    routine, just the last four digits. The result is checked as a personnummer (date and Luhn
    digit, by python-stdnum) before anything is changed. For formats without that routine
    (``RegionProfile.completion == "replace"``) the full personnummer is needed, and its birth
    date must be the reservnummer's where the number carries one.

    Raises ``InvalidIdentity`` when the Patient-ID is no reservnummer or the personnummer is
    invalid, and ``BirthDateMismatch`` when its date differs from the reservnummer's.
    """
    if reserv.kind is not IdKind.RESERVNUMMER:
        raise InvalidIdentity("Patient-ID är inget reservnummer och kan inte kompletteras.")
    text = personnummer.strip()
    compact = text.replace("-", "").replace("+", "")
    last_four = profile.completion == "last_four"
    if last_four and re.fullmatch(r"[0-9]{4}", text):
        # The routine: the date part stays, the last four characters are typed anew.
        text = reserv.date_part + text
    elif re.fullmatch(r"[0-9]{10}", compact) and reserv.birth_date is not None:
        text = f"{reserv.birth_date:%Y}"[:2] + compact
    elif re.fullmatch(r"[0-9]{10}", compact) and last_four:
        text = reserv.date_part[:2] + compact
    elif not re.fullmatch(r"[0-9]{12}", compact):
        raise InvalidIdentity(
            "Ange hela personnumret med 12 siffror (ÅÅÅÅMMDDNNNN)."
            if not last_four
            else "Ange personnumret med 10 eller 12 siffror, eller dess fyra sista siffror."
        )
    new = parse_personnummer(text)
    if new.kind is not IdKind.PERSONNUMMER:
        raise InvalidIdentity(
            "Ett samordningsnummer kan inte ersätta reservnumret: ange ett fullständigt "
            "personnummer."
        )
    if last_four:
        same_date = new.date_part == reserv.date_part
    else:
        same_date = reserv.birth_date is None or new.birth_date == reserv.birth_date
    if not same_date:
        raise BirthDateMismatch(
            "Födelsedatumet i personnumret stämmer inte med reservnumrets datumdel. "
            "Kontrollera identitetshandlingen."
        )
    return new


def _infer_year(yy: int, mm: int, day: int, *, plus: bool, today: date | None) -> int:
    now = today or date.today()
    if plus:
        # '+' from the year the person turns 100: born in or before now.year - 100.
        limit = now.year - 100
        return limit - (limit - yy) % 100
    year = now.year - (now.year - yy) % 100
    # Nobody is born in the future. Month 00 / day 00 (test samordningsnummer) compare as 1.
    if (year, max(mm, 1), max(day, 1)) > (now.year, now.month, now.day):
        year -= 100
    return year


def _samordning_birth_date(year: int, mm: int, day: int) -> date | None:
    if not 0 <= mm <= 12 or not 0 <= day <= 31:
        raise InvalidIdentity("Samordningsnumret är ogiltigt: datumdelen är omöjlig.")
    # Skatteverket's official test samordningsnummer include month 00, day 60 (day "00") and
    # dates such as 31 April: the date part need not be a calendar date.
    return calendar_date(f"{year:04d}{mm:02d}{day:02d}")


def _stdnum_reason(exc: ValidationError) -> str:
    name = type(exc).__name__
    if name == "InvalidChecksum":
        return "Personnumret är ogiltigt: kontrollsiffran stämmer inte."
    if name == "InvalidComponent":
        return "Personnumret är ogiltigt: datumet finns inte."
    return "Personnumret har fel format."
