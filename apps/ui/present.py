"""How a job and its outcome read on the page: step rows, headline, summary, person box."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apps.ui.format import id_type_sv
from apps.ui.jobs import JobKind
from flows.rules.compare import ComparedField, compare, request_address
from flows.rules.outcome import Candidate, Outcome, OutcomeKind, StepEvent
from flows.rules.vocabulary import (
    PROTECTED_SV,
    FailureText,
    failed_step,
    failure_text,
    sex_sv,
    step_label_sv,
    system_sv,
)

if TYPE_CHECKING:
    from flows.rules.countries import CountryLists
    from flows.rules.groups import PatientGroup
    from flows.rules.request import RegistrationRequest

REGISTER_STEPS = ("search_pmo", "search_rns", "create_rns", "register_pmo", "verify")
COMPLETE_STEPS = ("search_pmo", "change_pmo", "verify")

# Reason codes a person can settle by judging the candidates.
DECIDABLE_REASONS = frozenset({"uncertain_match_pmo", "uncertain_match_rns", "has_personnummer"})


@dataclass(frozen=True)
class StepRow:
    key: str
    label: str
    status: str
    elapsed: float | None
    # While a step is tried again: the retry in words; after: how many attempts it took.
    note: str | None = None


def step_rows(
    kind: JobKind,
    events: Iterable[StepEvent],
    *,
    done: bool,
    outcome_kind: OutcomeKind | None = None,
) -> list[StepRow]:
    """The routine's steps in order, each with its latest state (and unknown steps appended).

    A step that never ran reads by the outcome: not needed (registered, already registered),
    waiting for a person (needs a person), or not done (failed).
    """
    unrun = _UNRUN.get(outcome_kind, "not_run") if outcome_kind is not None else "not_run"
    expected = COMPLETE_STEPS if kind is JobKind.COMPLETE else REGISTER_STEPS
    latest = {e.step: e for e in events}
    rows: list[StepRow] = []
    keys = list(expected) + [k for k in latest if k not in expected]
    for key in keys:
        event = latest.get(key)
        if event is None:
            if key not in expected:
                continue
            rows.append(StepRow(key, step_label_sv(key), unrun if done else "pending", None))
        else:
            rows.append(
                StepRow(key, event.label_sv, event.status, event.elapsed_s, _step_note(event))
            )
    return rows


def _step_note(event: StepEvent) -> str | None:
    """The retry while it happens, or how many attempts a finished step needed."""
    if event.status == "started":
        return event.note_sv
    if event.attempt > 1:
        return f"efter {event.attempt} försök"
    return None


_UNRUN = {
    OutcomeKind.REGISTERED: "skipped",
    OutcomeKind.ALREADY_REGISTERED: "skipped",
    OutcomeKind.NEEDS_PERSON: "waiting",
}


def failure(outcome: Outcome) -> FailureText:
    """The failure's own headline, explanation and next step (see ``flows.rules.vocabulary``)."""
    return failure_text(
        outcome.reason_code,
        step=failed_step((e.step, e.status) for e in outcome.steps),
        reservnummer=outcome.reservnummer,
        patient_id=outcome.patient_id,
        detail_sv=outcome.reason_sv,
    )


# Completions the robot refuses because the personnummer does not fit the patient.
REFUSED_COMPLETIONS = frozenset({"sex_mismatch", "birth_date_mismatch"})


def headline(kind: JobKind, outcome: Outcome) -> str:
    if outcome.kind is OutcomeKind.REGISTERED:
        if kind is JobKind.COMPLETE:
            return "Klart – personnumret är inlagt i PMO"
        return "Klart – patienten är registrerad i PMO"
    if outcome.kind is OutcomeKind.ALREADY_REGISTERED:
        return "Patienten finns redan i PMO"
    if outcome.kind is OutcomeKind.NEEDS_PERSON:
        if kind is JobKind.COMPLETE and outcome.reason_code in REFUSED_COMPLETIONS:
            # Nothing to choose: the number does not fit the patient. A refusal, said as one.
            return "Personnumret stämmer inte med patienten – ingenting ändrades"
        if outcome.reason_code == "protected_identity" and outcome.patient_id:
            return "Registrerad – resten görs för hand"
        if outcome.reason_code == "has_personnummer":
            return "Personen har redan ett personnummer eller samordningsnummer"
        return "Roboten behöver din hjälp"
    return failure(outcome).headline


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
            return DECIDE_SV.get(outcome.reason_code or "", "")
        return ""
    return failure(outcome).what


DECIDE_SV = {
    "uncertain_match_pmo": (
        "Du behöver avgöra om personen nedan är den du registrerar. Roboten kan inte avgöra "
        "det säkert och gör ingenting förrän du har valt."
    ),
    "uncertain_match_rns": (
        "Du behöver avgöra om personen nedan är den du registrerar. Roboten kan inte avgöra "
        "det säkert och skapar inget reservnummer förrän du har valt."
    ),
    "has_personnummer": (
        "Du behöver avgöra om det är samma person. Är det samma person ska hen registreras "
        "med sitt personnummer eller samordningsnummer, inte med ett reservnummer."
    ),
}


def differences(person: Mapping[str, str], candidates: Iterable[Candidate]) -> dict[int, list[str]]:
    """For each candidate (by index), the fields that differ from the person being registered."""
    return {i: sorted(differing_fields(person, c.name, c.sex)) for i, c in enumerate(candidates)}


def differing_fields(
    person: Mapping[str, str], candidate_name: str, candidate_sex: str | None
) -> set[str]:
    """Which of Namn and Kön differ between the person and a candidate (for highlighting)."""
    differ: set[str] = set()
    if _name_key(person.get("name", "")) != _name_key(candidate_name):
        differ.add("name")
    mine = _sex_key(person.get("sex"))
    theirs = _sex_key(candidate_sex)
    if mine and theirs and mine != theirs:
        differ.add("sex")
    return differ


def _name_key(name: str) -> list[str]:
    # Word order and the comma between family and given names count: a name split differently
    # between the two is a difference the clerk should see.
    return name.replace(",", " , ").casefold().split()


def _sex_key(value: str | None) -> str:
    text = (value or "").strip().casefold()
    return {"m": "m", "man": "m", "k": "k", "kvinna": "k"}.get(text, "")


def request_person(
    request: RegistrationRequest | Mapping[str, Any] | None,
    *,
    groups: Mapping[str, PatientGroup] | None = None,
    hide_protected: bool = False,
) -> dict[str, str]:
    """The person being registered, for the left column of the side-by-side view.

    ``hide_protected``: for lists and headings, a protected person's name is replaced by the
    term (the comparison itself needs the name).
    """
    if request is None:
        return {"name": "Okänd", "sex": "", "birth_date": "", "group": ""}
    data = request if isinstance(request, Mapping) else request.model_dump(mode="json")
    family = str(data.get("family_name") or "")
    given = str(data.get("given_names") or "")
    name = f"{family}, {given}" if family and given else family or given or "Okänd"
    if hide_protected and data.get("protected"):
        name = f"{PROTECTED_SV} (namnet visas inte)"
    return {
        "name": name,
        "sex": str(data.get("sex") or ""),
        "birth_date": str(data.get("birth_date") or ""),
        "group": _group_label(str(data.get("group") or ""), groups),
    }


def _group_label(key: str, groups: Mapping[str, PatientGroup] | None) -> str:
    group = (groups or {}).get(key)
    return group.label_sv if group else key


# What the result page says about the OS clipboard, by what it holds now (work.clipboard_truth).
CLIPBOARD_NOTES_SV: dict[str, str] = {
    "copied": "Patient-ID finns i urklipp (lades där kl. {at}) – klistra in med Ctrl+V.",
    "overwritten": (
        "Urklipp innehåller inte längre detta Patient-ID: något annat har kopierats efter "
        "kl. {at}. Tryck Kopiera innan du klistrar in."
    ),
    "unverified": (
        "Patient-ID lades i urklipp kl. {at}. Har du kopierat något annat sedan dess, tryck "
        "Kopiera innan du klistrar in."
    ),
    "cleared": (
        "Skyddade personuppgifter: roboten lägger inte Patient-ID i urklipp och har tömt "
        "urklipp (kl. {at}), så inget tidigare Patient-ID kan klistras in av misstag. Använd "
        "knappen Kopiera när du behöver numret."
    ),
    "withheld": (
        "Skyddade personuppgifter: roboten lägger inte Patient-ID i urklipp och når inte urklipp "
        "på den här datorn, så det kan innehålla något som kopierats tidigare. Använd knappen "
        "Kopiera när du behöver numret."
    ),
    "unavailable": (
        "Urklipp är inte tillgängligt för roboten på den här datorn. Använd knappen Kopiera."
    ),
    "failed": (
        "Roboten kunde inte skriva i urklipp: det kan innehålla något som kopierats tidigare. "
        "Använd knappen Kopiera innan du klistrar in."
    ),
    "none": "Använd knappen Kopiera för att lägga Patient-ID i urklipp.",
}


def clipboard_note(truth: str, at: float | None) -> str:
    """The clipboard line of a result page, with the time the robot wrote the clipboard."""
    when = time.strftime("%H:%M", time.localtime(at)) if at else "–"
    return CLIPBOARD_NOTES_SV.get(truth, CLIPBOARD_NOTES_SV["none"]).format(at=when)


def _differs(by_key: Mapping[str, ComparedField], key: str) -> str | None:
    keys = ("kommun", "lan") if key == "kommun" else (key,)
    return next((r.differs_sv for k in keys if (r := by_key.get(k)) and r.differs_sv), None)


def hit_rows(
    request: RegistrationRequest | None,
    candidates: Sequence[Candidate],
    *,
    group: PatientGroup | None = None,
    countries: CountryLists | None = None,
) -> list[dict[str, Any]]:
    """The comparison as one table: a row per field, the person being registered in the first
    column and each hit in its own, what differs marked (flows/rules/compare.py's words)."""
    if request is None or not candidates:
        return []
    compared = [
        {r.key: r for r in compare(request, c, group=group, countries=countries)}
        for c in candidates
    ]
    protected = request.protected

    def row(
        key: str, label: str, mine: str, values: list[str], *, mono: bool = False
    ) -> dict[str, Any]:
        return {
            "key": key,
            "label": label,
            "mine": mine,
            "cells": [
                {"value": value, "differs": _differs(by_key, key), "mono": mono}
                for value, by_key in zip(values, compared, strict=True)
            ],
        }

    rows = [
        row(
            "name",
            "Namn",
            f"{request.family_name}, {request.given_names}",
            [c.name for c in candidates],
        ),
        row(
            "sex",
            "Kön",
            request.sex.label_sv,
            [sex_sv(c.sex) if c.sex else "Okänt" for c in candidates],
        ),
        row(
            "birth_date",
            "Födelsedatum",
            request.birth_date.isoformat(),
            [request.birth_date.isoformat() for _ in candidates],
        ),
        row("id", "ID", "–", [c.id_value for c in candidates], mono=True),
        row("id_type", "Typ av id", "–", [id_type_sv(c.id_type) for c in candidates]),
    ]
    if any(c.personnummer for c in candidates):
        rows.append(
            row(
                "personnummer",
                "Personnummer eller samordningsnummer",
                "–",
                [c.personnummer or "–" for c in candidates],
                mono=True,
            )
        )
    rows.append(
        row(
            "address",
            "Adress",
            "(visas inte: skyddade personuppgifter)"
            if protected
            else request_address(request, countries=countries) or "–",
            [
                c.address or ("Reservnummersystemet har ingen adress" if c.system == "rns" else "–")
                for c in candidates
            ],
        )
    )
    if any(c.kommun or c.lan for c in candidates):
        codes = f"{group.kommun} / {group.lan}" if group else "–"
        rows.append(
            row(
                "kommun",
                "Kommun / Län",
                codes,
                [f"{c.kommun or '–'} / {c.lan or '–'}" for c in candidates],
            )
        )
    rows.append(row("system", "System", "–", [system_sv(c.system) for c in candidates]))
    return rows
