"""The one table of Swedish words staff read: outcomes, steps, systems, sex, failures.

Every screen, report and CLI line takes its words from here, so the attended app, the
``register`` command, the backlog's report and its progress say the same thing the same way
(duplicated vocabulary drifts). Pure data and small functions: no Playwright, no I/O.

The words for *why* a request needs a person (reason codes) live beside the outcome model in
``flows.rules.outcome.REASONS_SV``; this module says what kind of result it is and what to do next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# Systems and sites -------------------------------------------------------------------------

SYSTEM_SV: dict[str, str] = {
    "pmo": "PMO",
    "rns": "Reservnummersystemet",
    "plexus": "Plexus",
    "robot": "Roboten",
}


def system_sv(key: object) -> str:
    """The name staff know a system by (``"rns"`` -> ``"Reservnummersystemet"``)."""
    return SYSTEM_SV.get(str(key), str(key))


# Sex -----------------------------------------------------------------------------------------

SEX_SV: dict[str, str] = {"M": "Man", "K": "Kvinna", "Man": "Man", "Kvinna": "Kvinna"}


def sex_sv(value: object) -> str:
    """``"M"`` -> ``"Man"``; unknown or empty -> ``"Okänt"``."""
    if value is None or value == "":
        return "Okänt"
    return SEX_SV.get(str(value), str(value))


# Identity numbers ------------------------------------------------------------------------------

ID_TYPE_SV: dict[str, str] = {
    "reservnummer": "Reservnummer",
    "personnummer": "Personnummer",
    "samordningsnummer": "Samordningsnummer",
}

# The one term for protected identities; the help text names the others once.
PROTECTED_SV = "Skyddade personuppgifter"
PROTECTED_HELP_SV = (
    "Gäller personer med sekretessmarkering, kvarskrivning eller skyddad folkbokföring."
)

# The request's fields, as the forms and the import columns name them ----------------------------

REQUEST_FIELD_SV: dict[str, str] = {
    "birth_date": "Födelsedatum",
    "sex": "Kön",
    "family_name": "Efternamn",
    "given_names": "Förnamn",
    "group": "Patientgrupp",
    "address": "Adress",
    "address.street": "Utdelningsadress",
    "address.postal_code": "Postnummer",
    "address.city": "Ort",
    "address.country": "Land",
    "info": "Info",
    "protected": PROTECTED_SV,
    "external_ref": "Referens",
    "request": "Uppgifterna",
}


def field_sv(field: str) -> str:
    """A request field's Swedish name (``address.postal_code`` -> ``Postnummer``)."""
    return REQUEST_FIELD_SV.get(field, REQUEST_FIELD_SV.get(field.split(".")[-1], field))


# Steps -----------------------------------------------------------------------------------------

STEP_LABELS_SV: dict[str, str] = {
    "search_pmo": "Söker i PMO",
    "search_rns": "Söker i Reservnummersystemet",
    "create_rns": "Skapar reservnummer",
    "register_pmo": "Registrerar i PMO",
    "verify": "Kontrollerar",
    "open_patient": "Hämtar patienten i PMO",
    "change_pmo": "Ändrar Patient-ID i PMO",
    "login_pmo": "Loggar in i PMO",
    "login_rns": "Loggar in i Reservnummersystemet",
    "wait_lease": "Väntar på ett annat ärende med samma födelsedatum",
    # Attended work: the clerk's session ended and the clerk signs in again (flows/attended.py).
    "sign_in_pmo": "Väntar på att du loggar in igen i PMO",
    "sign_in_rns": "Väntar på att du loggar in igen i Reservnummersystemet",
    "sign_in_plexus": "Väntar på att du loggar in igen i Plexus",
}

# The system each step works in (audit log, failure texts).
STEP_SYSTEM: dict[str, str] = {
    "search_pmo": "pmo",
    "register_pmo": "pmo",
    "verify": "pmo",
    "open_patient": "pmo",
    "change_pmo": "pmo",
    "login_pmo": "pmo",
    "search_rns": "rns",
    "create_rns": "rns",
    "login_rns": "rns",
    "sign_in_pmo": "pmo",
    "sign_in_rns": "rns",
    "sign_in_plexus": "plexus",
}

STEP_STATUS_SV: dict[str, str] = {
    "pending": "Väntar",
    "started": "Pågår",
    "done": "Klar",
    "skipped": "Behövdes inte",
    "failed": "Misslyckades",
    "not_run": "Utfördes inte",
    "waiting": "Väntar på en person",
}


def slow_system_sv(step: str) -> str:
    """Why a step is tried again: ``"PMO svarar långsamt"`` (the step's system)."""
    system = system_sv(STEP_SYSTEM[step]) if step in STEP_SYSTEM else "Systemet"
    return f"{system} svarar långsamt"


def retry_note_sv(step: str, attempt: int, max_attempts: int) -> str:
    """What a running step says while it tries again (``"PMO svarar långsamt, försök 2 av 3"``)."""
    return f"{slow_system_sv(step)}, försök {attempt} av {max_attempts}"


def step_label_sv(step: str) -> str:
    """The step's Swedish label; an unknown step reads as a generic "Ett steg"."""
    return STEP_LABELS_SV.get(step, "Ett steg")


# Outcomes --------------------------------------------------------------------------------------

OUTCOME_KIND_SV: dict[str, str] = {
    "registered": "Registrerad i PMO",
    "already_registered": "Fanns redan i PMO",
    "needs_person": "Behöver en person",
    "failed": "Misslyckades",
}

# What a dry run (``--dry-run``) says the robot would do (``Outcome.planned``).
DRY_RUN_SV = "Provkörning: inget skapades och inget sparades"
PLANNED_SV: dict[str, str] = {
    "register_new": "Skulle skapa ett nytt reservnummer och registrera i PMO",
    "reuse_reservnummer": "Skulle återanvända reservnumret och registrera i PMO",
    "register_journaled": "Skulle registrera reservnumret som redan skapats i PMO",
    "verify_saved": "Skulle kontrollera en tidigare registrering i PMO",
    "already_registered": "Finns redan i PMO: skulle inte ändra något",
    "needs_person": "Skulle lämnas till en person",
}

MATCH_SV: dict[str, str] = {
    "same": "Troligen samma person",
    "uncertain": "Osäker – kan vara samma person",
    "different": "Troligen en annan person",
}


# Failures --------------------------------------------------------------------------------------


class FailureKind(StrEnum):
    """What kind of technical failure ended a request; each has its own words and next step."""

    LOGIN_REFUSED = "login_refused"
    SITE_DOWN = "site_down"
    VERIFICATION = "verification"
    PMO_AFTER_NUMBER = "pmo_after_number"
    SITE_CHANGED = "site_changed"
    STOPPED = "stopped"  # a person pressed Avbryt: the robot stopped before its next step
    OTHER = "other"


# Root reason codes by kind (a code not listed is OTHER).
_LOGIN_CODES = frozenset({"login_refused", "login_failed"})
_VERIFY_CODES = frozenset({"verification_failed", "form_value_mismatch", "not_saved"})
_CHANGED_CODES = frozenset({"selector_missing", "screen_changed"})
_DOWN_CODES = frozenset(
    {
        "site_error",
        "site_timeout",
        "site_unreachable",
        "session_expired",
        "retries_exhausted",
        "unexpected_error",
    }
)


@dataclass(frozen=True)
class FailureText:
    """A failure as a clerk reads it: the headline, what happened, and what to do now."""

    kind: FailureKind
    headline: str
    what: str
    next_step: str
    can_retry: bool


# The reason code of a request a person stopped (``flows.steps.StopRequested``).
STOPPED_CODE = "stopped_by_person"


def failed_step(steps: Iterable[tuple[str, str]]) -> str | None:
    """The key of the step that failed, from ``(step, status)`` pairs (None if none did)."""
    return next((step for step, status in steps if status == "failed"), None)


def failure_kind(
    reason_code: str | None, *, step: str | None, reservnummer: str | None
) -> FailureKind:
    """Classify a failed request by its root reason code, its failed step and its number."""
    code = reason_code or ""
    if code == STOPPED_CODE:
        return FailureKind.STOPPED
    if code in _LOGIN_CODES:
        return FailureKind.LOGIN_REFUSED
    if code in _VERIFY_CODES:
        return FailureKind.VERIFICATION
    if reservnummer:
        return FailureKind.PMO_AFTER_NUMBER
    if code in _CHANGED_CODES:
        return FailureKind.SITE_CHANGED
    if code in _DOWN_CODES:
        return FailureKind.SITE_DOWN
    return FailureKind.OTHER


def failure_text(
    reason_code: str | None,
    *,
    step: str | None,
    reservnummer: str | None,
    patient_id: str | None = None,
    detail_sv: str | None = None,
) -> FailureText:
    """The headline and next step for a failed request (see ``FailureKind``)."""
    kind = failure_kind(reason_code, step=step, reservnummer=reservnummer)
    system = system_sv(STEP_SYSTEM.get(step or "", "")) if step in STEP_SYSTEM else "Systemet"
    where = f" i steget ”{step_label_sv(step)}”" if step else ""
    it_code = f"Kod för IT-support: {reason_code or 'okänd'}."
    if kind is FailureKind.LOGIN_REFUSED:
        return FailureText(
            kind,
            "Roboten kom inte in – inloggningen nekades",
            f"{system} godtog inte robotens användarnamn eller lösenord. Roboten har försökt "
            "logga in en gång och försöker inte igen, så att kontot inte låses.",
            "Försök inte igen: roboten loggar inte in igen förrän inloggningen är rättad. "
            f"Kontakta IT-support och be dem kontrollera robotens inloggning till {system}. "
            "Registrera patienten för hand enligt rutinen så länge. "
            f"{it_code}",
            can_retry=False,
        )
    if kind is FailureKind.STOPPED:
        return _stopped_text(reservnummer)
    if kind is FailureKind.VERIFICATION:
        number = patient_id or reservnummer
        saved = f" med Patient-ID {number}" if number else ""
        return FailureText(
            kind,
            "Kontrollen visade fel – rätta patienten i PMO",
            f"Patienten är sparad i PMO{saved}, men det PMO visar efter sparandet stämmer inte "
            "med det du fyllde i.",
            "Öppna patienten i PMO, jämför med handlingen och rätta det som är fel. Registrera "
            "inte patienten igen och skapa inget nytt reservnummer. "
            f"{it_code}",
            can_retry=False,
        )
    if kind is FailureKind.PMO_AFTER_NUMBER:
        return FailureText(
            kind,
            "Reservnumret finns – men patienten är inte registrerad i PMO",
            f"Reservnumret {reservnummer} finns i Reservnummersystemet, men roboten kunde inte "
            f"registrera patienten i PMO{where}.",
            "Skapa inget nytt reservnummer. Försök igen om en stund (roboten använder samma "
            "nummer), eller registrera patienten i PMO för hand enligt rutinen med reservnumret "
            f"ovan. {it_code}",
            can_retry=True,
        )
    if kind is FailureKind.SITE_CHANGED:
        return FailureText(
            kind,
            f"Roboten känner inte igen sidan i {system}",
            f"Sidan i {system} ser inte ut som roboten väntar sig{where}. Den kan ha ändrats.",
            f"Registrera patienten för hand enligt rutinen och kontakta IT-support. {it_code}",
            can_retry=True,
        )
    if kind is FailureKind.SITE_DOWN:
        return FailureText(
            kind,
            f"{system} svarar inte just nu",
            f"Roboten kom inte vidare{where}: {system} svarade inte eller svarade med fel, "
            "även efter flera försök. Inget nytt reservnummer har skapats.",
            "Försök igen om en stund. Fungerar det inte då: registrera patienten för hand "
            f"enligt rutinen, eller kontakta IT-support. {it_code}",
            can_retry=True,
        )
    return FailureText(
        kind,
        "Det gick inte att slutföra",
        detail_sv or f"Ett tekniskt fel stoppade roboten{where}.",
        f"Försök igen om en stund. Fungerar det inte då: kontakta IT-support. {it_code}",
        can_retry=True,
    )


def _stopped_text(reservnummer: str | None) -> FailureText:
    """A stop between steps: what was done, what was not, and what not to do now."""
    if reservnummer:
        return FailureText(
            FailureKind.STOPPED,
            "Stoppad – reservnumret finns, men patienten är inte registrerad i PMO",
            f"Du avbröt roboten. Reservnumret {reservnummer} hann skapas i "
            "Reservnummersystemet; patienten är inte registrerad i PMO.",
            "Skapa inget nytt reservnummer. Tryck Försök igen när du vill (roboten använder "
            "samma nummer), eller registrera patienten i PMO för hand enligt rutinen med "
            "reservnumret ovan.",
            can_retry=True,
        )
    return FailureText(
        FailureKind.STOPPED,
        "Stoppad – ingenting har ändrats",
        "Du avbröt roboten innan den ändrade något. Inget reservnummer har skapats och "
        "ingenting har sparats i PMO.",
        "Ingenting är gjort: starta ärendet igen när du vill, eller gör det för hand enligt "
        "rutinen.",
        can_retry=True,
    )


# Counting in Swedish -----------------------------------------------------------------------------


def count_sv(n: int, singular: str, plural: str) -> str:
    """``count_sv(1, "ärende", "ärenden")`` -> ``"1 ärende"``; 3 -> ``"3 ärenden"``."""
    return f"{n} {singular if n == 1 else plural}"


def decimal_sv(value: float, digits: int = 1) -> str:
    """``2.5`` -> ``"2,5"`` (Swedish decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",")
