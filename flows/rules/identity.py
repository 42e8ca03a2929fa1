"""Patient-IDs: personnummer, samordningsnummer and reservnummer, as PMO wants them.

Personnummer are validated by python-stdnum (``stdnum.se.personnummer``: date and Luhn check
digit). stdnum rejects samordningsnummer (day + 60) and Skatteverket's official test
samordningsnummer with month 00 or day 60 (day "00"), so those are checked here with stdnum's
Luhn and a date rule of our own. Reservnummer are matched against the region profile's pattern,
format only (see ``flows.rules.region``); a profile with ``check = "mod31"`` also demands this
project's NRID check character (``flows.rules.region.mod31_check``), and a date part without century
(NRID's ``YYMMDD``) gets the latest century that does not put the birth date in the future.

PMO stores every Patient-ID without separator: personnummer and samordningsnummer as 12 digits
(with century), reservnummer exactly as the profile shows them.
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
from flows.rules.region import RegionProfile, mod31_check
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

    ``value`` is the canonical PMO form. ``birth_date`` is None when the date part is not a
    calendar date (a reservnummer such as the printed ``19612121201M7``, or an official test
    samordningsnummer with month 00 or day 60). ``repr`` masks the number, so a PatientId that
    ends up in a log or traceback does not leak it.
    """

    kind: IdKind
    value: str
    date_part: str
    birth_date: date | None
    sex: Sex | None

    def pmo_format(self) -> str:
        """The text to put in PMO's Patient-ID field."""
        return self.value

    def masked(self) -> str:
        """Birth year only, e.g. ``1961****-****``: for messages that must not leak the number."""
        return f"{self.value[:4]}****-****"

    @property
    def reserve_part(self) -> str:
        """Everything after the date part (serial and check digit, or the reserve part)."""
        return self.value[len(self.date_part) :]

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
    """Parse what staff paste into PMO's Patient-ID field.

    The region's reservnummer pattern is tried first (letters are upper-cased: PMO wants them
    as capitals), then personnummer/samordningsnummer. Raises ``InvalidIdentity``.
    """
    cleaned = text.strip()
    reserv = profile.match(cleaned.upper())
    if reserv is not None and profile.check == "mod31":
        number = reserv.group(0)
        if mod31_check(number[:-1]) != number[-1]:
            raise InvalidIdentity(
                "Reservnumret har fel kontrolltecken: kontrollera att hela numret kom med."
            )
    if reserv is not None:
        return _reservnummer(reserv, profile)
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

    The routine replaces everything after the reservnummer's date part with the personnummer's
    last four digits, so ``personnummer`` may be the full number (10 or 12 digits; a 10-digit
    number takes the reservnummer's century) or just those four digits. Raises
    ``InvalidIdentity`` when the Patient-ID is no reservnummer or the personnummer is invalid,
    and ``BirthDateMismatch`` when its date part differs from the reservnummer's.
    """
    if reserv.kind is not IdKind.RESERVNUMMER:
        raise InvalidIdentity("Patient-ID är inget reservnummer och kan inte kompletteras.")
    if not reserv.value.startswith(reserv.date_part):
        # The routine's completion (delete what follows the date, type four digits) needs a
        # number that starts with its date part; the national format (NRID) has a prefix.
        raise InvalidIdentity(
            "Reservnummer i det här formatet kompletteras inte av roboten: ändra Patient-ID "
            "för hand enligt regionens rutin."
        )
    text = personnummer.strip()
    compact = text.replace("-", "").replace("+", "")
    if re.fullmatch(r"[0-9]{4}", text):
        text = reserv.date_part + text
    elif re.fullmatch(r"[0-9]{10}", compact):
        text = reserv.date_part[: profile.date_length - 6] + compact
    new = parse_personnummer(text)
    if new.kind is not IdKind.PERSONNUMMER:
        raise InvalidIdentity(
            "Ett samordningsnummer kan inte ersätta reservnumret: ange ett fullständigt "
            "personnummer."
        )
    if new.date_part[-len(reserv.date_part) :] != reserv.date_part:
        raise BirthDateMismatch(
            "Födelsedatumet i personnumret stämmer inte med reservnumrets datumdel. "
            "Kontrollera identitetshandlingen."
        )
    return new


def _reservnummer(m: re.Match[str], profile: RegionProfile) -> PatientId:
    date_part = m.group("date")
    sex: Sex | None = None
    if profile.reads_sex:
        letter = m.group("sex")
        sex = Sex(letter) if letter in ("M", "K") else None
    return PatientId(
        kind=IdKind.RESERVNUMMER,
        value=m.group(0),
        date_part=date_part,
        birth_date=_calendar_date(_with_century(date_part)),
        sex=sex,
    )


def _with_century(date_part: str, *, today: date | None = None) -> str:
    """``YYYYMMDD`` for a date part; a 6-digit ``YYMMDD`` (NRID) gets the latest century that
    does not put it in the future (as a personnummer without century)."""
    if len(date_part) != 6 or not date_part.isdigit():
        return date_part
    yy, mm, dd = int(date_part[:2]), int(date_part[2:4]), int(date_part[4:])
    return f"{_infer_year(yy, mm, dd, plus=False, today=today):04d}{date_part[2:]}"


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
    return _calendar_date(f"{year:04d}{mm:02d}{day:02d}")


def _calendar_date(date_part: str) -> date | None:
    try:
        return date(int(date_part[:4]), int(date_part[4:6]), int(date_part[6:8]))
    except ValueError:
        return None


def _stdnum_reason(exc: ValidationError) -> str:
    name = type(exc).__name__
    if name == "InvalidChecksum":
        return "Personnumret är ogiltigt: kontrollsiffran stämmer inte."
    if name == "InvalidComponent":
        return "Personnumret är ogiltigt: datumet finns inte."
    return "Personnumret har fel format."
