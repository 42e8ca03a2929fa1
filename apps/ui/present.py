"""How a job and its outcome read on the page: step rows, headline, summary, person box."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apps.ui.jobs import JobKind
from flows.outcome import STEP_LABELS_SV, Outcome, OutcomeKind, StepEvent

if TYPE_CHECKING:
    from flows.groups import PatientGroup
    from flows.request import RegistrationRequest

REGISTER_STEPS = ("search_pmo", "search_rns", "create_rns", "register_pmo", "verify")
COMPLETE_STEPS = ("search_pmo", "change_pmo", "verify")

# Reason codes a person can settle by judging the candidates.
DECIDABLE_REASONS = frozenset({"uncertain_match_pmo", "uncertain_match_rns", "has_personnummer"})

MATCH_SV = {
    "same": "Troligen samma person",
    "uncertain": "Osäker – kan vara samma person",
    "different": "Troligen en annan person",
}

EXIT_SV = {
    0: "Alla klara",
    1: "Några misslyckades",
    2: "Några behöver en person",
    75: "En annan körning pågick",
    130: "Avbruten",
}


@dataclass(frozen=True)
class StepRow:
    key: str
    label: str
    status: str
    elapsed: float | None


def step_rows(kind: JobKind, events: Iterable[StepEvent], *, done: bool) -> list[StepRow]:
    """The routine's steps in order, each with its latest state (and unknown steps appended)."""
    expected = COMPLETE_STEPS if kind is JobKind.COMPLETE else REGISTER_STEPS
    latest = {e.step: e for e in events}
    rows: list[StepRow] = []
    keys = list(expected) + [k for k in latest if k not in expected]
    for key in keys:
        event = latest.get(key)
        if event is None:
            if key not in expected:
                continue
            rows.append(
                StepRow(key, STEP_LABELS_SV.get(key, key), "not_run" if done else "pending", None)
            )
        else:
            rows.append(StepRow(key, event.label_sv, event.status, event.elapsed_s))
    return rows


def headline(kind: JobKind, outcome: Outcome) -> str:
    if outcome.kind is OutcomeKind.REGISTERED:
        if kind is JobKind.COMPLETE:
            return "Klart – personnumret är inlagt i PMO"
        return "Klart – patienten är registrerad i PMO"
    if outcome.kind is OutcomeKind.ALREADY_REGISTERED:
        return "Patienten finns redan i PMO"
    if outcome.kind is OutcomeKind.NEEDS_PERSON:
        if outcome.reason_code == "protected_identity" and outcome.patient_id:
            return "Registrerad – resten görs för hand"
        return "Roboten behöver din hjälp"
    return "Det gick inte att slutföra"


def summary(kind: JobKind, outcome: Outcome) -> str:
    if outcome.kind is OutcomeKind.REGISTERED:
        if kind is JobKind.COMPLETE:
            return "Patient-ID är nu personnumret. Roboten har kontrollerat det sparade värdet."
        if outcome.reservnummer_reused:
            return "Patienten är registrerad med ett befintligt reservnummer och kontrollerad."
        return "Ett reservnummer är skapat, patienten är registrerad i PMO och kontrollerad."
    if outcome.kind is OutcomeKind.ALREADY_REGISTERED:
        return "Ingenting nytt har skapats eller ändrats. Använd Patient-ID nedan."
    if outcome.kind is OutcomeKind.NEEDS_PERSON:
        if outcome.candidates and outcome.reason_code in DECIDABLE_REASONS:
            return "Jämför personerna och välj ett av alternativen."
        return ""
    failed = next((e.label_sv for e in outcome.steps if e.status == "failed"), None)
    where = f"Roboten kom inte vidare i steget ”{failed}”. " if failed else ""
    return (
        f"{where}Systemet kan vara nere eller långsamt. Roboten har försökt flera gånger; "
        "inget mer görs förrän någon försöker igen."
    )


def request_person(
    request: RegistrationRequest | Mapping[str, Any] | None,
    *,
    groups: Mapping[str, PatientGroup] | None = None,
) -> dict[str, str]:
    """The person being registered, for the left column of the side-by-side view."""
    if request is None:
        return {"name": "Okänd", "sex": "", "birth_date": "", "group": ""}
    data = request if isinstance(request, Mapping) else request.model_dump(mode="json")
    family = str(data.get("family_name") or "")
    given = str(data.get("given_names") or "")
    name = f"{family}, {given}" if family and given else family or given or "Okänd"
    return {
        "name": name,
        "sex": str(data.get("sex") or ""),
        "birth_date": str(data.get("birth_date") or ""),
        "group": _group_label(str(data.get("group") or ""), groups),
    }


def _group_label(key: str, groups: Mapping[str, PatientGroup] | None) -> str:
    group = (groups or {}).get(key)
    return group.label_sv if group else key
