"""A person's choice on the side-by-side view, turned into Decisions and audit entries.

"Samma person (återanvänd)" names one candidate: the robot reuses that record. "Annan person
(fortsätt och skapa)" marks every candidate shown as a different person, so the robot goes on.
"Avbryt" stops: nothing more is done. Every choice is written to the audit log with the clerk's
user name; identity numbers are hashed there by ``AuditLog`` itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from apps.ui.format import number_kind_sv
from flows.rules.outcome import Candidate, Decision

if TYPE_CHECKING:
    from robot.audit import AuditLog

HAS_PERSONNUMMER = "has_personnummer"


class Choice(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    CANCEL = "cancel"


# How a backlog item leaves the queue when a person ends the robot's work on it.
QUEUE_ENDINGS = {
    Choice.CANCEL: (
        "cancelled_by_person",
        "Avbrutet av en handläggare i Att hantera: roboten ska inte registrera personen.",
    ),
    Choice.SAME: (
        "has_personnummer_confirmed",
        "Personen har personnummer eller samordningsnummer: registreras för hand med det.",
    ),
}


class BadChoice(ValueError):
    """The form named no valid choice or candidate."""


def parse_choice(
    form: Mapping[str, Any], candidates: Sequence[Candidate]
) -> tuple[Choice, int | None]:
    """Read ``choice`` (and for "same" the ``candidate`` index) from a submitted form."""
    try:
        choice = Choice(str(form.get("choice", "")))
    except ValueError as exc:
        raise BadChoice("unknown choice") from exc
    if choice is not Choice.SAME:
        return choice, None
    try:
        index = int(str(form.get("candidate", "")))
    except ValueError as exc:
        raise BadChoice("no candidate") from exc
    if not 0 <= index < len(candidates):
        raise BadChoice("candidate out of range")
    return choice, index


def ends_with_person(choice: Choice, reason_code: str | None) -> bool:
    """True when the choice ends the robot's work: "Avbryt", or "Samma person" on a hit that
    has a personnummer (that person is registered with their personnummer, by hand)."""
    return choice is Choice.CANCEL or (choice is Choice.SAME and reason_code == HAS_PERSONNUMMER)


def ending_text(choice: Choice, candidate: Candidate | None = None) -> dict[str, str]:
    """Title, text and (for a personnummer hit) the number of the page shown when a choice
    ends the robot's work."""
    if choice is Choice.SAME:
        number = (candidate.personnummer or candidate.id_value) if candidate else ""
        kind = number_kind_sv(number) if number else "Personnummer"
        definite = kind.lower().removesuffix("nummer") + "numret"  # personnumret
        return {
            "title": f"Registrera med {definite}",
            "lead": (
                f"Du bekräftade att det är samma person, och personen har ett {kind.lower()}. "
                "Roboten skapar inget reservnummer. Registrera patienten i PMO för hand med "
                f"{definite} nedan. Ditt val är sparat i granskningsloggen."
            ),
            "number": number,
            "number_kind": kind,
        }
    return {
        "title": "Avbrutet",
        "lead": (
            "Du valde Avbryt. Roboten har inte skapat eller ändrat något mer, och ditt val är "
            "sparat i granskningsloggen."
        ),
    }


def new_decisions(
    choice: Choice, index: int | None, candidates: Sequence[Candidate], *, actor: str
) -> list[Decision]:
    """The Decisions a choice stands for (none for "cancel")."""
    if choice is Choice.SAME and index is not None:
        c = candidates[index]
        return [Decision(system=c.system, id_value=c.id_value, verdict="same", decided_by=actor)]
    if choice is Choice.DIFFERENT:
        return [
            Decision(system=c.system, id_value=c.id_value, verdict="different", decided_by=actor)
            for c in candidates
        ]
    return []


def merge(earlier: Iterable[Decision], later: Iterable[Decision]) -> list[Decision]:
    """Earlier decisions plus later ones; a later verdict on the same record wins."""
    out: dict[tuple[str, str], Decision] = {}
    for d in [*earlier, *later]:
        out[(d.system, d.id_value)] = d
    return list(out.values())


def audit_choice(
    audit: AuditLog | None,
    *,
    actor: str,
    ref: str,
    choice: Choice,
    index: int | None,
    candidates: Sequence[Candidate],
    reason_code: str | None,
    source: str,
) -> None:
    """Record the choice: one entry per candidate it concerns, or one for "cancel"."""
    if audit is None:
        return
    if choice is Choice.CANCEL:
        system = candidates[0].system if candidates else "robot"
        audit.decision(
            actor, ref, system=system, choice=choice.value, reason=reason_code, via=source
        )
        return
    concerned = [candidates[index]] if choice is Choice.SAME and index is not None else candidates
    for c in concerned:
        audit.decision(
            actor,
            ref,
            system=c.system,
            choice=choice.value,
            reason=reason_code,
            patient_id=c.id_value,
            via=source,
            id_type=c.id_type,
        )
