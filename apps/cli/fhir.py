"""``register`` and ``complete-pnr`` in FHIR: a Patient file in, the outcome's resource out.

Kept apart from ``register.py`` (and its FHIR models loaded only when used): the command line
starts as fast as before for everyone who never asks for FHIR.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from apps.cli.edge import err
from apps.exitcodes import ExitCode
from flows.rules.outcome import Outcome
from flows.rules.region import RegionProfile
from flows.rules.request import FieldError, RegistrationRequest


def fhir_printer(
    profile: RegionProfile, request: RegistrationRequest | None, *, protected: bool = False
) -> Callable[[Outcome], None]:
    """Print an outcome as its FHIR resource (a Patient, or an OperationOutcome)."""
    from apps.fhir.results import outcome_resource, to_json

    def show(outcome: Outcome) -> None:
        resource = outcome_resource(outcome, request=request, profile=profile, protected=protected)
        typer.echo(to_json(resource), nl=False)

    return show


def print_fhir_invalid(errors: list[FieldError]) -> None:
    """A refused request as an OperationOutcome: one issue per field, with its FHIR path."""
    from apps.fhir.results import invalid_request, to_json

    typer.echo(to_json(invalid_request([(e.field, e.message_sv) for e in errors])), nl=False)


def fhir_paths(errors: list[FieldError], *, before: list[FieldError]) -> list[FieldError]:
    """The FHIR file's own problems (``before``), then the request rules' errors, each naming
    the FHIR path of its field (``Patient.birthDate``) unless a problem names it already."""
    from apps.fhir.patient import covered, fhir_path

    paths = [e.field for e in before]
    named = [FieldError(fhir_path(e.field), e.code, e.message_sv) for e in errors]
    return before + [e for e in named if not covered(e.field, paths)]


def fhir_request_fields(text: str, *, fhir: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """The one Patient of a FHIR file as request fields, and its own problems (naming FHIR
    paths). Exit 3 when the file cannot be taken, or its Patient has nothing readable."""
    from apps.cli.output import print_invalid
    from apps.fhir.reading import FhirUnreadable, read_patients

    try:
        entries = read_patients(text.encode("utf-8"))
    except FhirUnreadable as exc:
        err.print(f"Filen kan inte tas emot: {exc.message}")
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    if len(entries) != 1:
        err.print(
            f"Filen har {len(entries)} poster; register tar en Patient. Flera patienter: "
            "reservrobot backlog import FIL."
        )
        raise typer.Exit(ExitCode.INVALID_INPUT)
    [entry] = entries
    errors = [FieldError(i.path, i.code, i.message_sv) for i in entry.issues]
    if errors and not entry.fields:
        if fhir:
            print_fhir_invalid(errors)
        else:
            print_invalid(errors, as_json=False)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    return dict(entry.fields), errors
