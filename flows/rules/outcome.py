"""The typed result of one request: what the robot did, or why a person must take over.

Every request ends in exactly one ``Outcome``; the edges (CLI, queue worker, UI) turn it into
exit codes, item statuses or a page. Reason codes are stable identifiers; ``reason_sv`` is the
text a clerk reads. Neither ever holds a name or an identity number.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from flows.rules.vocabulary import STEP_LABELS_SV as STEP_LABELS_SV  # the one table of labels
from flows.rules.vocabulary import STEP_SYSTEM


class OutcomeKind(StrEnum):
    REGISTERED = "registered"
    ALREADY_REGISTERED = "already_registered"
    NEEDS_PERSON = "needs_person"
    FAILED = "failed"


# What a dry run says the robot would do (labels: flows.rules.vocabulary.PLANNED_SV).
PlannedAction = Literal[
    "register_new",
    "reuse_reservnummer",
    "register_journaled",
    "verify_saved",
    "already_registered",
    "needs_person",
]

# Reason codes for needs_person, with the Swedish text a clerk reads.
REASONS_SV: dict[str, str] = {
    "uncertain_match_pmo": (
        "Det finns en eller flera patienter i PMO med samma födelsedatum som kan vara samma "
        "person. En person behöver avgöra om det är samma person."
    ),
    "uncertain_match_rns": (
        "Det finns en eller flera personer i Reservnummersystemet med samma födelsedatum som kan "
        "vara samma person. En person behöver avgöra om det är samma person."
    ),
    "has_personnummer": (
        "Personen finns i Reservnummersystemet med personnummer eller samordningsnummer. "
        "Inget reservnummer skapas; registrera med det numret i stället."
    ),
    "protected_identity": (
        "Skyddade personuppgifter: Patient-ID, kön och namn är registrerade. Fortsätt enligt "
        "rutinen ”Skyddade personuppgifter – PMO”."
    ),
    "protected_hand_over": (
        "Skyddade personuppgifter: roboten har inte sökt, skapat eller registrerat något. "
        "Regionen använder som regel inget reservnummer för skyddade personuppgifter: "
        "registrera med personens eget nummer från folkbokföringen enligt regionens rutin "
        "för skyddade personuppgifter."
    ),
    "journaled_number_missing": (
        "Roboten skapade tidigare ett reservnummer för personen, men numret syns nu varken i "
        "Reservnummersystemet eller i PMO. Inget nytt har skapats: sök på personen i "
        "Reservnummersystemet och fortsätt enligt rutinen ”Skyddade personuppgifter – PMO”. "
        "Skapa inget nytt reservnummer."
    ),
    "request_invalid": "Uppgifterna i ärendet är ofullständiga eller felaktiga.",
    "sex_unknown": (
        "Könet är okänt. Rutinen känner bara Man och Kvinna i PMO, och regionprofilen säger "
        "inte vad PMO ska få: inget har skapats. En person registrerar enligt regionens rutin."
    ),
    "field_rules": (
        "PMO eller Reservnummersystemet skulle inte ta emot uppgifterna. Inget har skapats: "
        "rätta uppgifterna i ärendet och registrera igen."
    ),
    "identity_not_checked": (
        "Identiteten och handlingen med det fullständiga personnumret måste kontrolleras av en "
        "person innan Patient-ID ändras."
    ),
    "birth_date_mismatch": (
        "Personnumrets födelsedatum stämmer inte med reservnumrets. Inget har ändrats."
    ),
    "patient_not_found": "Patienten hittades inte i PMO. Inget har ändrats.",
    "personnummer_taken": (
        "Personnumret finns redan hos en annan patient i PMO. Det kan vara samma person "
        "registrerad två gånger: en person behöver utreda det. Inget har ändrats."
    ),
    "sex_mismatch": (
        "Personnumrets könssiffra stämmer inte med patientens kön i PMO. Kontrollera "
        "identitetshandlingen. Inget har ändrats."
    ),
    "lease_held": (
        "Ett annat ärende med samma födelsedatum körs just nu. Försök igen om en stund."
    ),
    "lease_lost_registered": (
        "Roboten stod still och en annan körning tog över ärendet. Personen är nu registrerad "
        "i PMO med Patient-ID nedan: skapa inget nytt reservnummer och ingen ny patient."
    ),
    "lease_lost": (
        "Roboten stod still och släppte ärendet innan något mer skapades eller sparades här. "
        "Personen finns inte i PMO ännu. Kör ärendet igen: roboten kontrollerar först vad som "
        "redan är gjort."
    ),
    "lease_lost_unchecked": (
        "Roboten stod still och släppte ärendet, och kunde sedan inte se i PMO om personen "
        "redan är registrerad. Sök på personen i PMO innan något görs; skapa inget nytt "
        "reservnummer."
    ),
    "codes_differ": (
        "Patienten finns redan i PMO, men koderna för Kommun/Län skiljer sig från "
        "patientgruppens. Inget har ändrats; rätta koderna i PMO till patientgruppens."
    ),
    "decision_unknown": "Beslutet gäller ingen av träffarna. Sök igen och avgör på nytt.",
}


def reason_sv(code: str, fallback: str | None = None) -> str:
    """Swedish text for a reason code (the fallback, or a generic text, for unknown codes)."""
    return REASONS_SV.get(code, fallback or "Ärendet behöver hanteras av en person.")


class Candidate(BaseModel):
    """A search hit shown to a person, side by side with the request."""

    system: Literal["pmo", "rns"]
    id_value: str
    id_type: str
    name: str
    sex: str | None = None
    personnummer: str | None = None
    match: str
    score: float
    # The matcher's reason code and its Swedish text ("Samma namn men olika kön: kontrollera.").
    match_reason: str | None = None
    match_reason_sv: str | None = None
    # What the system's record says beyond the search list, where the robot read it (a PMO
    # patient's page): the address as one line, and the Kommun/Län codes.
    address: str | None = None
    kommun: str | None = None
    lan: str | None = None


class Decision(BaseModel):
    """A person's verdict on a candidate, passed back into ``Runner.register``."""

    system: Literal["pmo", "rns"]
    id_value: str
    verdict: Literal["same", "different"]
    decided_by: str


class StepEvent(BaseModel):
    """Progress of one step, for live display and for the outcome's timings."""

    step: str
    label_sv: str
    status: Literal["started", "done", "skipped", "failed"]
    elapsed_s: float
    # Which attempt of the step this is (a site that answered with an error or too slowly is
    # tried again: ``robot.retry``); ``note_sv`` says so in words while the step runs.
    attempt: int = 1
    max_attempts: int = 1
    note_sv: str | None = None

    @property
    def system(self) -> str:
        """The system the step works in (``pmo``, ``rns``), else ``robot`` (audit log)."""
        return STEP_SYSTEM.get(self.step, "robot")


class Outcome(BaseModel):
    """The result of one request."""

    kind: OutcomeKind
    patient_id: str | None = None
    reservnummer_reused: bool | None = None
    reason_code: str | None = None
    reason_sv: str | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    code_differences: list[str] = Field(default_factory=list)
    steps: list[StepEvent] = Field(default_factory=list)
    evidence_dir: str | None = None
    duration_s: float = 0
    # A failed request that had already created (or chosen) a reservnummer carries it, so a
    # person finishing by hand never creates a second one.
    reservnummer: str | None = None
    # A dry run (``--dry-run``): searched and judged, created and saved nothing. ``kind`` is
    # the outcome the real run would end with, ``planned`` what it would do on the way, and
    # ``planned_values`` the Kommun/Län codes and address it would write in PMO.
    dry_run: bool = False
    planned: PlannedAction | None = None
    planned_values: dict[str, str] = Field(default_factory=dict)
    # The patient as PMO has them, when the person was found there ("finns redan"): the record
    # and the basis of the match (``match_reason_sv``), so a person can see why.
    pmo_record: Candidate | None = None
    # A completion: the Patient-ID before the change (the reservnummer), so a person sees the
    # change and would notice a mistyped reservnummer.
    former_patient_id: str | None = None
    # Everybody with the same birth date judged to be another person (by the matcher or by a
    # person's decision), so a success can say how many and show them.
    others: list[Candidate] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for registered and already registered."""
        return self.kind in (OutcomeKind.REGISTERED, OutcomeKind.ALREADY_REGISTERED)


def needs_person(
    code: str, detail: str | None = None, *, candidates: list[Candidate] | None = None
) -> Outcome:
    """The outcome that hands a request to a person, with the reason's Swedish text."""
    return Outcome(
        kind=OutcomeKind.NEEDS_PERSON,
        reason_code=code,
        reason_sv=detail or reason_sv(code),
        candidates=candidates or [],
    )
