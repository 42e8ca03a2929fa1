"""``reservrobot audit show``, ``audit verify`` and ``audit export --fhir``."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from apps.backlog.store import QueueItem, open_store
from apps.cli.edge import edge_of, err, out
from apps.exitcodes import ExitCode
from flows.rules.vocabulary import (
    OUTCOME_KIND_SV,
    STEP_STATUS_SV,
    decimal_sv,
    step_label_sv,
    system_sv,
)
from robot.audit import AuditLog

audit_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


def earlier_refs(item: QueueItem) -> tuple[str, ...]:
    """The references an item's audit entries may also be under: a reference derived from the
    person was the unkeyed fingerprint before the queue keyed it (queue version 6)."""
    if item.request is None or not item.ref.startswith("k_"):
        return ()
    return (item.request.fingerprint(),)


@audit_app.command(
    "show", help="Visa vad roboten och personer gjort med ett ärende eller en patient, och när."
)
def audit_show(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Option("--ref", help="Ärendets referens (radens referens, eller köns referens)."),
    ] = None,
    item: Annotated[int | None, typer.Option("--item", help="Ärendets nummer i kön.")] = None,
    patient_id: Annotated[
        str | None, typer.Option("--patient-id", help="Patient-ID i PMO.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON.")] = False,
) -> None:
    """What the robot (and people) did about one item or one patient record, and when."""
    settings = edge_of(ctx).settings
    also: tuple[str, ...] = ()
    if item is not None:
        with open_store(settings) as store:
            found = store.get(item)
        if found is None:
            err.print(f"Ärende {item} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        ref, also = found.ref, earlier_refs(found)
    if not ref and not patient_id:
        err.print("Ange --ref, --item eller --patient-id.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    with AuditLog(settings) as audit:
        entries = (
            audit.for_patient_id(patient_id) if patient_id else audit.for_ref(ref or "", *also)
        )
    if as_json:
        out.print_json(
            json.dumps(
                [{**e.__dict__, "at": e.at.isoformat()} for e in entries], ensure_ascii=False
            )
        )
        return
    if not entries:
        out.print("Inga händelser i granskningsloggen för den referensen.")
        raise typer.Exit(ExitCode.OK)
    table = Table(title=f"Granskningslogg ({entries[0].ref})")
    for col in ("När", "Vem", "System", "Steg", "Resultat", "Detaljer"):
        table.add_column(col, overflow="fold")
    for e in entries:
        table.add_row(
            e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            system_sv(e.system),
            AUDIT_STEP_SV.get(e.step) or step_label_sv(e.step),
            _result_sv(e.step, e.result),
            _detail_sv(e.detail),
        )
    # Not cut at 80 columns when the output goes to a file or a pipe (Rich's default width
    # there): a log reviewer's file holds whole lines.
    shown = out if out.is_terminal else Console(highlight=False, markup=False, width=200)
    shown.print(table)


# The audit log's own steps beside the routine's (flows/rules/vocabulary.py).
AUDIT_STEP_SV = {
    "outcome": "Utfall",
    "person_decision": "Beslut av en person",
    "retry": "Nytt försök begärt",
    "register": "Registrering",
    "complete_pnr": "Komplettering av personnummer",
}
_CHOICE_SV = {
    "same": "Samma person",
    "different": "Annan person",
    "cancel": "Avbryt",
    "handled_by_person": "Klart – gjort för hand",
}
_DETAIL_KEYS_SV = {
    "via": "via",
    "job": "jobb",
    "status": "status",
    "attempts": "försök",
    "retry_at": "nytt försök",
    "reason": "orsak",
    "duration_s": "tid",
    "patient_id": "Patient-ID",
}
_SECONDS = re.compile(r"(\d+(?:\.\d+)?) s")
_VIA_SV = {"cli": "kommandoraden", "ui": "appen", "queue": "ärendekön"}


def _result_sv(step: str, result: str) -> str:
    """A result in words: a step's status, an outcome's kind, a person's choice."""
    if step == "person_decision":
        return _CHOICE_SV.get(result, result)
    return STEP_STATUS_SV.get(result) or OUTCOME_KIND_SV.get(result) or result


def _detail_sv(detail: str) -> str:
    """``name=value; ...`` with Swedish names and decimal commas; other text as it is."""
    parts = []
    for part in (p.strip() for p in detail.split(";") if p.strip()):
        key, sep, value = part.partition("=")
        if not sep:
            seconds = _SECONDS.fullmatch(part)  # a step's time, "1.23 s"
            parts.append(f"{decimal_sv(float(seconds[1]), 2)} s" if seconds else part)
            continue
        key = key.strip()
        value = value.strip()
        if key == "duration_s":
            with contextlib.suppress(ValueError):
                value = f"{decimal_sv(float(value), 2)} s"
        elif key == "via":
            value = _VIA_SV.get(value, value)
        elif key == "status":
            value = _result_sv("", value)
        parts.append(f"{_detail_key_sv(key)}: {value}")
    return "; ".join(parts)


def _detail_key_sv(key: str) -> str:
    return _DETAIL_KEYS_SV.get(key, key)


@audit_app.command(
    "verify", help="Kontrollera att ingen post i granskningsloggen har ändrats eller tagits bort."
)
def audit_verify(ctx: typer.Context) -> None:
    """Check that no audit entry was changed or removed (hash chain)."""
    with AuditLog(edge_of(ctx).settings) as audit:
        broken = audit.verify()
    if broken is None:
        out.print("Granskningsloggen är oförändrad.")
        return
    err.print(f"Granskningsloggen är ändrad från post {broken}.", style="red")
    raise typer.Exit(ExitCode.SOME_FAILED)


@audit_app.command(
    "export",
    help="Granskningsloggen till ett program för logguppföljning (FHIR AuditEvent och "
    "Provenance).\n\n"
    "Slutkod 1 när loggen har ändrats eller saknar poster (filen skrivs ändå, för granskningen).",
)
def audit_export(
    ctx: typer.Context,
    fhir: Annotated[
        bool, typer.Option("--fhir", help="Som FHIR: en Bundle med AuditEvent och Provenance.")
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", metavar="fil", help="Fil att skriva (utan: skrivs på skärmen)."),
    ] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="Bara detta ärendes händelser.")] = None,
    item: Annotated[int | None, typer.Option("--item", help="Ärendets nummer i kön.")] = None,
) -> None:
    """The audit log for a log-review tool (FHIR AuditEvent, Provenance for creates and saves).

    Exit 1 when the log's hash chain is broken (the export is still written, for the review)."""
    from apps.audit.export import export_fhir
    from apps.fhir.results import to_json

    if not fhir:
        err.print("Ange formatet: --fhir (FHIR AuditEvent och Provenance).")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    settings = edge_of(ctx).settings
    also: tuple[str, ...] = ()
    if item is not None:
        with open_store(settings) as store:
            found = store.get(item)
        if found is None:
            err.print(f"Ärende {item} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        ref, also = found.ref, earlier_refs(found)
    with AuditLog(settings) as audit:
        export = export_fhir(audit, ref=ref, also=also)
    text = to_json(export.bundle)
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        # Owner-only (0600), like every file of the robot's; the folder is left as it is.
        fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        err.print(f"{export.entries} händelser skrivna som FHIR: {out_file}")
    if export.broken is not None:
        err.print(
            f"[red]Granskningsloggen är ändrad från post {export.broken}:[/] händelserna från "
            "den posten stämmer inte med kedjan. Kontakta den som ansvarar för loggen."
        )
        raise typer.Exit(ExitCode.SOME_FAILED)
