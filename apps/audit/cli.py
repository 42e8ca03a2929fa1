"""``reservrobot audit show``, ``audit verify`` and ``audit export --fhir``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from apps.backlog.store import open_store
from apps.cli.edge import edge_of, err, out
from apps.exitcodes import ExitCode
from robot.audit import AuditLog

audit_app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False)


@audit_app.command("show")
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
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What the robot (and people) did about one item or one patient record, and when."""
    settings = edge_of(ctx).settings
    if item is not None:
        with open_store(settings) as store:
            found = store.get(item)
        if found is None:
            err.print(f"Ärende {item} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        ref = found.ref
    if not ref and not patient_id:
        err.print("Ange --ref, --item eller --patient-id.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    with AuditLog(settings) as audit:
        entries = audit.for_patient_id(patient_id) if patient_id else audit.for_ref(ref or "")
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
        table.add_column(col)
    for e in entries:
        table.add_row(
            e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.system,
            e.step,
            e.result,
            e.detail,
        )
    out.print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Check that no audit entry was changed or removed (hash chain)."""
    with AuditLog(edge_of(ctx).settings) as audit:
        broken = audit.verify()
    if broken is None:
        out.print("Granskningsloggen är oförändrad.")
        return
    err.print(f"Granskningsloggen är ändrad från post {broken}.", style="red")
    raise typer.Exit(ExitCode.SOME_FAILED)


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    fhir: Annotated[
        bool, typer.Option("--fhir", help="Som FHIR: en Bundle med AuditEvent och Provenance.")
    ] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Fil att skriva (utan: skrivs på skärmen).")
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
    if item is not None:
        with open_store(settings) as store:
            found = store.get(item)
        if found is None:
            err.print(f"Ärende {item} finns inte.")
            raise typer.Exit(ExitCode.INVALID_INPUT)
        ref = found.ref
    with AuditLog(settings) as audit:
        export = export_fhir(audit, ref=ref)
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
