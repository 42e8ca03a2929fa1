"""``reservrobot register`` and ``reservrobot complete-pnr``: one request, start to end.

The edge of the routine: settings are built here, requests validated, and outcomes turned into
text and exit codes (``apps.exitcodes``): 0 registered or already registered, 2 needs a person,
1 failed (technical error after retries), 3 invalid input.

Like every entry point, both commands enforce evidence retention before they start and write
what they did to the audit log (``robot.audit``): every step, and the outcome.

``--format fhir`` prints the outcome as one FHIR resource (``apps/fhir/results.py``): the
registered Patient, or an OperationOutcome; ``register --file`` also takes a FHIR Patient (or a
Bundle holding one), refusing it with the FHIR path of each problem.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from apps.cli.edge import Edge, edge_of, err, refuse_unsafe_setup
from apps.cli.fhir import fhir_paths, fhir_printer, fhir_request_fields, print_fhir_invalid
from apps.cli.output import print_invalid, print_outcome
from apps.cli.request_file import RequestFileError, parse_request_json
from apps.exitcodes import ExitCode, outcome_exit_code
from flows.config import RoutineConfig
from flows.register import journal_key
from flows.rules.outcome import Decision, Outcome, OutcomeKind, StepEvent, reason_sv
from flows.rules.request import FieldError, RegistrationRequest, RequestInvalid, parse_request
from flows.runner import Runner
from robot.audit import AuditLog
from robot.display import virtual_display
from robot.errors import ConfigError, RobotError
from robot.evidence import prepare_evidence
from robot.logs import get_logger
from robot.settings import Settings, TransferMode

_log = get_logger(__name__)


OutputFormat = Literal["text", "json", "fhir"]
FORMAT_OPTION = typer.Option(
    "--format",
    help="Hur resultatet skrivs: text (att läsa), json (för andra program) eller fhir "
    "(en FHIR-resurs).",
)


def register(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="fil",
            help="Personens uppgifter i en fil (JSON eller en FHIR Patient); '-' läser från "
            "tangentbordet eller ett annat program.",
        ),
    ] = None,
    birth_date: Annotated[str | None, typer.Option(help="Födelsedatum ÅÅÅÅ-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option(help="Man, Kvinna eller Okänt (M/K/X).")] = None,
    family_name: Annotated[str | None, typer.Option(help="Efternamn.")] = None,
    given_names: Annotated[str | None, typer.Option(help="Förnamn.")] = None,
    group: Annotated[
        str | None, typer.Option(help="Patientgrupp (ett av namnen i config/groups.toml).")
    ] = None,
    street: Annotated[str | None, typer.Option(help="Utdelningsadress.")] = None,
    postal_code: Annotated[str | None, typer.Option(help="Postnummer.")] = None,
    city: Annotated[str | None, typer.Option(help="Ort.")] = None,
    country: Annotated[str | None, typer.Option(help="Land (kod eller namn), t.ex. SE.")] = None,
    info: Annotated[str | None, typer.Option(help="Info (standard: Läggs in manuellt.).")] = None,
    protected: Annotated[
        bool, typer.Option("--protected", help="Skyddade personuppgifter.")
    ] = False,
    external_ref: Annotated[str | None, typer.Option(help="Ärendereferens.")] = None,
    decision: Annotated[
        list[str] | None,
        typer.Option(
            help="Ditt beslut om en träff: SYSTEM:ID=same (samma person) eller =different "
            "(en annan person), t.ex. rns:19900101001M3=same. Kan anges flera gånger."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
    output_format: Annotated[OutputFormat, FORMAT_OPTION] = "text",
    headed: Annotated[
        bool | None,
        typer.Option("--headed/--headless", help="Visa webbläsaren medan roboten arbetar."),
    ] = None,
    transfer: Annotated[
        str | None,
        typer.Option(
            help="Hur Patient-ID förs över till PMO: auto, system (datorns urklipp), browser "
            "(webbläsarens urklipp) eller fill (skrivs in)."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Provkörning: sök och bedöm, och visa vad roboten skulle göra; inget skapas "
            "och inget sparas.",
        ),
    ] = False,
) -> None:
    """Register one person with a reservnummer in PMO (the whole routine).

    With --dry-run the exit code is the one the real run would end with."""
    edge = edge_of(ctx)
    settings = _command_settings(edge, headed=headed, transfer=transfer)
    fhir = output_format == "fhir"
    as_json = as_json or output_format == "json"
    # A FHIR file's own problems (None: the file was no FHIR resource, or there was none).
    data, fhir_issues = _read_request_file(file, fhir=fhir) if file else ({}, None)
    options = {
        "birth_date": birth_date,
        "sex": sex,
        "family_name": family_name,
        "given_names": given_names,
        "group": group,
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "info": info,
        "external_ref": external_ref,
    }
    data.update({k: v for k, v in options.items() if v is not None})
    if protected:
        data["protected"] = True
    try:
        decisions = [_parse_decision(d) for d in decision or []]
        config = RoutineConfig.load(settings)
        request = parse_request(
            data, groups=config.groups, rules=config.profile.field_rules, countries=config.countries
        )
        if fhir_issues:
            raise RequestInvalid([])
    except RequestInvalid as exc:
        errors = exc.errors
        if fhir_issues is not None:  # name the FHIR path of each refused field
            errors = fhir_paths(errors, before=fhir_issues)
        if fhir:
            print_fhir_invalid(errors)
        else:
            print_invalid(errors, as_json=as_json)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except (ValueError, ConfigError) as exc:
        err.print(f"Felaktiga uppgifter: {exc}")
        raise typer.Exit(ExitCode.INVALID_INPUT) from None

    if as_json or fhir:
        edge.use_logging("machines")
    outcome = _run(
        edge,
        settings,
        lambda runner, on_step: runner.register(
            request, decisions=decisions, on_step=on_step, dry_run=dry_run
        ),
        config=config,
        as_json=as_json,
        audit_ref=request.external_ref or journal_key(request),
        audit_job="register_dry_run" if dry_run else "register",
        show=fhir_printer(config.profile, request) if fhir else None,
        request=request,
        changes=not dry_run,
    )
    raise typer.Exit(outcome_exit_code(outcome.kind))


def complete_pnr(
    ctx: typer.Context,
    patient_id: Annotated[
        str, typer.Argument(metavar="PATIENT-ID", help="Patient-ID (reservnumret) i PMO.")
    ],
    personnummer: Annotated[
        str, typer.Argument(metavar="PERSONNUMMER", help="Fullständigt personnummer.")
    ],
    identity_checked: Annotated[
        bool,
        typer.Option(
            "--identity-checked",
            help="Du har kontrollerat personens identitet och handlingen med personnumret.",
        ),
    ] = False,
    protected: Annotated[
        bool,
        typer.Option("--protected", help="Skyddade personuppgifter: inget underlag sparas."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
    output_format: Annotated[OutputFormat, FORMAT_OPTION] = "text",
    headed: Annotated[
        bool | None,
        typer.Option("--headed/--headless", help="Visa webbläsaren medan roboten arbetar."),
    ] = None,
) -> None:
    """Replace a reservnummer with the full personnummer in PMO."""
    edge = edge_of(ctx)
    settings = _command_settings(edge, headed=headed, transfer=None)
    as_json = as_json or output_format == "json"
    show = None
    if output_format == "fhir":
        try:
            profile = RoutineConfig.load(settings).profile
        except ConfigError as exc:
            err.print(f"Felaktiga uppgifter: {exc}")
            raise typer.Exit(ExitCode.INVALID_INPUT) from None
        show = fhir_printer(profile, None, protected=protected)
    audit_ref = "complete:" + patient_id.strip()
    if not identity_checked:
        # Refused before any browser starts; the flow refuses too.
        outcome = Outcome(
            kind=OutcomeKind.NEEDS_PERSON,
            reason_code="identity_not_checked",
        )
        outcome.reason_sv = reason_sv("identity_not_checked")
        _audit_outcome(edge, settings, audit_ref, outcome, job="complete_pnr")
        if show is not None:
            show(outcome)
        else:
            print_outcome(outcome, as_json=as_json)
        raise typer.Exit(ExitCode.NEEDS_PERSON)
    if as_json or show is not None:
        edge.use_logging("machines")
    outcome = _run(
        edge,
        settings,
        lambda runner, on_step: runner.complete_pnr(
            patient_id,
            personnummer,
            identity_checked=True,
            protected=protected,
            on_step=on_step,
        ),
        as_json=as_json,
        audit_ref=audit_ref,
        audit_job="complete_pnr",
        show=show,
    )
    raise typer.Exit(outcome_exit_code(outcome.kind))


def _command_settings(edge: Edge, *, headed: bool | None, transfer: str | None) -> Settings:
    """The edge's settings with ``--headed/--headless`` and ``--transfer``."""
    if transfer is not None and transfer not in ("auto", "system", "browser", "fill"):
        err.print("--transfer ska vara auto, system, browser eller fill.")
        raise typer.Exit(ExitCode.INVALID_INPUT)
    mode: TransferMode | None = transfer  # type: ignore[assignment]
    return edge.with_options(headless=None if headed is None else not headed, transfer_mode=mode)


def _run(
    edge: Edge,
    settings: Settings,
    call: Callable[[Runner, Callable[[StepEvent], None]], Outcome],
    *,
    as_json: bool,
    audit_ref: str,
    audit_job: str = "register",
    show: Callable[[Outcome], None] | None = None,
    request: RegistrationRequest | None = None,
    config: RoutineConfig | None = None,
    changes: bool = True,
) -> Outcome:
    """Start a runner (and a virtual display when headed without one), run, audit, print.

    ``show`` prints the outcome instead of the text or JSON of ``print_outcome`` (FHIR).
    ``changes``: the call may create or change something; then it is refused (exit 4) when
    the audit log cannot be opened, since nothing may change unlogged."""
    quiet = as_json or show is not None
    refuse_unsafe_setup(settings)
    _enforce_retention(settings)
    actor = edge.actor("cli", with_host=True)

    with contextlib.ExitStack() as stack:
        audit = _open_audit(settings)
        if audit is not None:
            stack.callback(audit.close)
        elif changes:
            err.print(
                "Roboten startas inte: granskningsloggen går inte att öppna, och inget får "
                "skapas eller ändras utan att det loggas. Kör reservrobot doctor, eller "
                "kontakta IT."
            )
            raise typer.Exit(ExitCode.STORE_BROKEN)

        def on_step(event: StepEvent) -> None:
            if not quiet and event.status == "started":
                note = f" ({event.note_sv})" if event.note_sv else ""  # a retry, as it happens
                err.print(f"… {event.label_sv}{note}")
            if audit is not None and event.status != "started":
                _append(audit.step, actor, audit_ref, event)

        display = virtual_display() if not settings.headless else contextlib.nullcontext()
        try:
            with display, Runner(settings, config=config, role="kommandoraden") as runner:
                outcome = call(runner, on_step)
        except RobotError as exc:
            outcome = Outcome(kind=OutcomeKind.FAILED, reason_code=exc.code, reason_sv=exc.message)
        if audit is not None:
            _append_outcome(audit, actor, audit_ref, outcome, job=audit_job)
    if show is not None:
        show(outcome)
    else:
        print_outcome(outcome, as_json=as_json, request=request)
    return outcome


def _enforce_retention(settings: Settings) -> None:
    """Delete expired evidence, as every entry point does before it starts."""
    try:
        prepare_evidence(settings)  # also: private folders, leftovers of a killed run
    except Exception:  # retention must not stop a registration; the next run tries again
        _log.event("evidence_purge_failed", level=logging.WARNING)


def _open_audit(settings: Settings) -> AuditLog | None:
    try:
        return AuditLog(settings)
    except Exception:  # an audit log that cannot open is reported, never silently dropped
        _log.event("audit_open_failed", level=logging.WARNING)
        err.print("Varning: granskningsloggen kunde inte öppnas; det som görs loggas inte där.")
        return None


def _append(entry: Callable[..., None], *args: Any, **facts: Any) -> None:
    """Write one typed audit entry (``robot.audit``); a failure is logged, never raised."""
    try:
        entry(*args, **facts)
    except Exception:  # bookkeeping must never break a registration
        _log.event("audit_append_failed", level=logging.WARNING, entry=entry.__name__)


def _append_outcome(audit: AuditLog, actor: str, ref: str, outcome: Outcome, *, job: str) -> None:
    _append(
        audit.outcome,
        actor,
        ref,
        outcome.kind,
        reason=outcome.reason_code,
        patient_id=outcome.patient_id,
        via="cli",
        job=job,
    )


def _audit_outcome(edge: Edge, settings: Settings, ref: str, outcome: Outcome, *, job: str) -> None:
    """One outcome entry for a request refused before any browser started."""
    _enforce_retention(settings)
    audit = _open_audit(settings)
    if audit is None:
        return
    with contextlib.closing(audit):
        _append_outcome(audit, edge.actor("cli", with_host=True), ref, outcome, job=job)


def _read_request_file(path: Path, *, fhir: bool) -> tuple[dict[str, Any], list[FieldError] | None]:
    """The request's fields from the file, and a FHIR file's own problems (None: no FHIR).

    Read strictly (``apps.cli.request_file``): a byte-order mark is fine, a key given twice,
    malformed or too deeply nested JSON is refused in Swedish with line and column (exit 3)."""
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        err.print(f"Filen {path} kan inte läsas ({exc.strerror or 'okänt fel'}).")
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    try:
        data = parse_request_json(raw)
    except RequestFileError as exc:
        err.print(exc.message_sv)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    if "resourceType" in data:  # a FHIR resource (apps/fhir)
        return fhir_request_fields(raw.decode("utf-8-sig"), fhir=fhir)
    return data, None


def _parse_decision(text: str) -> Decision:
    try:
        target, verdict = text.rsplit("=", 1)
        system, id_value = target.split(":", 1)
        return Decision.model_validate(
            {
                "system": system.strip().lower(),
                "id_value": id_value.strip(),
                "verdict": verdict.strip().lower(),
                "decided_by": "cli",
            }
        )
    except Exception:
        raise ValueError(
            "--decision ska se ut som SYSTEM:ID=same|different, t.ex. rns:19900101001M3=same"
        ) from None
