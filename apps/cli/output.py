"""What ``reservrobot register`` and ``complete-pnr`` print: an outcome for a person (Swedish,
plain text) or for a machine (``--json``), and the field errors of an invalid request."""

from __future__ import annotations

import json

import typer

from apps.cli.edge import out
from flows.rules.compare import compare
from flows.rules.outcome import Candidate, Outcome, OutcomeKind
from flows.rules.request import FieldError, RegistrationRequest
from flows.rules.vocabulary import (
    DRY_RUN_SV,
    ID_TYPE_SV,
    MATCH_SV,
    OUTCOME_KIND_SV,
    PLANNED_SV,
    STEP_STATUS_SV,
    decimal_sv,
    failed_step,
    failure_text,
    field_sv,
    sex_sv,
    system_sv,
)


def print_invalid(errors: list[FieldError], *, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {"kind": "invalid", "errors": [e.__dict__ for e in errors]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    out.print("Uppgifterna är ofullständiga eller felaktiga:", style="bold")
    for error in errors:
        out.print(f"  {field_sv(error.field)}: {error.message_sv}")
    out.print("Rätta uppgifterna och kör kommandot igen; ingenting har körts.")


def print_outcome(
    outcome: Outcome, *, as_json: bool, request: RegistrationRequest | None = None
) -> None:
    """The outcome in Swedish, in the words of ``flows.rules.vocabulary`` (as the attended app).

    With the ``request``, a patient found in PMO is shown beside it, field by field, with what
    differs marked (a different spelling, a different address)."""
    if as_json:
        typer.echo(outcome.model_dump_json(indent=2))
        return
    failure = (
        failure_text(
            outcome.reason_code,
            step=failed_step((e.step, e.status) for e in outcome.steps),
            reservnummer=outcome.reservnummer,
            patient_id=outcome.patient_id,
            detail_sv=outcome.reason_sv,
        )
        if outcome.kind is OutcomeKind.FAILED
        else None
    )
    if outcome.dry_run:
        out.print(DRY_RUN_SV, style="bold")
        if outcome.planned:
            out.print(f"  {PLANNED_SV[outcome.planned]}")
        for field, value in outcome.planned_values.items():
            out.print(f"  {_VALUE_LABELS_SV.get(field, field)}: {value}")
        out.print("  Utfall när roboten kör på riktigt:", end=" ")
    # Plain text with a style: the consoles read no markup (user data may hold brackets).
    out.print(failure.headline if failure else OUTCOME_KIND_SV[outcome.kind], style="bold")
    if outcome.patient_id:
        reuse = ""
        if outcome.reservnummer_reused is not None:
            reuse = (
                " (befintligt reservnummer)"
                if outcome.reservnummer_reused
                else " (nytt reservnummer)"
            )
        out.print(f"  Patient-ID: {outcome.patient_id}{reuse}")
    if outcome.former_patient_id:
        out.print(f"  Tidigare Patient-ID (reservnummer): {outcome.former_patient_id}")
        if outcome.pmo_record is not None and outcome.ok:
            out.print(f"  Namn i PMO: {outcome.pmo_record.name} ({sex_sv(outcome.pmo_record.sex)})")
    if failure is not None:
        out.print(f"  {failure.what}")
        if outcome.reason_sv and outcome.reason_sv != failure.what:
            out.print(f"  Det roboten såg: {outcome.reason_sv}")
        if outcome.reservnummer:
            out.print(f"  Reservnummer som redan finns (skapa inget nytt): {outcome.reservnummer}")
        out.print(f"  Gör så här: {failure.next_step}")
    elif outcome.reason_sv:
        out.print(f"  {outcome.reason_sv}")
    if outcome.pmo_record is not None and not outcome.former_patient_id:
        _print_record(outcome.pmo_record, request)
    for line in outcome.code_differences:
        out.print(f"  - {line}")
    if outcome.others and outcome.ok:
        n = len(outcome.others)
        out.print(
            f"  {n} {'person' if n == 1 else 'personer'} med samma födelsedatum bedömdes vara "
            f"{'en annan person' if n == 1 else 'andra personer'}:"
        )
        for c in outcome.others:
            why = f" – {c.match_reason_sv}" if c.match_reason_sv else ""
            out.print(
                f"    {system_sv(c.system)}: {c.name}, {sex_sv(c.sex)}, "
                f"{ID_TYPE_SV.get(c.id_type, c.id_type)} {c.id_value}{why}"
            )
    for c in outcome.candidates:
        extra = f", {c.personnummer}" if c.personnummer else ""
        why = f" – {c.match_reason_sv}" if c.match_reason_sv else ""
        out.print(
            f"  Träff i {system_sv(c.system)}: {c.name}, {sex_sv(c.sex)}, "
            f"{ID_TYPE_SV.get(c.id_type, c.id_type)} {c.id_value}{extra} "
            f"({MATCH_SV.get(c.match, c.match)}{why})"
        )
    if outcome.evidence_dir:
        out.print(f"  Felunderlag (skärmbild och spår): {outcome.evidence_dir}")
    for step in outcome.steps:
        status = STEP_STATUS_SV.get(step.status, step.status)
        out.print(f"  {step.label_sv:<32} {status:<14} {seconds_sv(step.elapsed_s):>8}")
    out.print(f"  Totalt {seconds_sv(outcome.duration_s)}")


def _print_record(record: Candidate, request: RegistrationRequest | None) -> None:
    """How the patient stands in PMO, and why the robot judged them the person."""
    out.print("  Så står patienten i PMO:")
    if request is not None:
        for row in compare(request, record):
            if row.key == "patient_id":
                continue
            mark = f"  <- {row.differs_sv} (du registrerar: {row.mine})" if row.differs_sv else ""
            out.print(f"    {row.label_sv + ':':<10} {row.theirs or '–'}{mark}")
    else:
        for label, value in (
            ("Namn:", record.name),
            ("Kön:", record.sex),
            ("Adress:", record.address),
            ("Kommun:", record.kommun),
            ("Län:", record.lan),
        ):
            out.print(f"    {label:<10} {value or '–'}")
    if record.match_reason_sv:
        out.print(f"  Därför samma person: {record.match_reason_sv}")


# The fields a dry run says it would write (labels as PMO's form shows them).
_VALUE_LABELS_SV = {
    "street": "Utdelningsadress",
    "postal_code": "Postnummer",
    "city": "Ort",
    "country": "Land",
    "info": "Info",
    "kommun": "Kommun",
    "lan": "Län",
}


def seconds_sv(value: float) -> str:
    return f"{decimal_sv(value, 2)} s"
