"""An outcome as FHIR: the registered Patient, or an OperationOutcome saying why not.

One resource per outcome, so a Bundle of a run holds one resource per item:

- registered or already registered: the ``SEBasePatient`` as registered (``patient.py``);
- needs a person, failed, an invalid row, an item still waiting or closed by a person: an
  ``OperationOutcome`` whose issue carries the outcome's kind and reason code (this project's
  code systems) and the Swedish reason as ``details.text``; further issues give the
  Patient-ID when the patient is registered but a person must finish (a protected identity),
  and the reservnummer a failure already holds, so whoever finishes by hand creates no second;
- a dry run: an informational ``OperationOutcome`` with what the robot would do.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

from apps.fhir import terms
from apps.fhir.patient import patient_resource
from flows.rules.outcome import REASONS_SV, Outcome, OutcomeKind
from flows.rules.region import RegionProfile
from flows.rules.request import RegistrationRequest
from flows.rules.vocabulary import DRY_RUN_SV, OUTCOME_KIND_SV, PLANNED_SV

# FHIR issue severity and type (http://hl7.org/fhir/R4/valueset-issue-type.html) per kind.
_ISSUE: dict[str, tuple[str, str]] = {
    "needs_person": ("warning", "business-rule"),
    "failed": ("error", "transient"),
    "rejected": ("error", "invalid"),
    "pending": ("information", "incomplete"),
    "closed": ("information", "informational"),
}
_KIND_SV = {**OUTCOME_KIND_SV, "dry_run": DRY_RUN_SV}


def outcome_resource(
    outcome: Outcome,
    *,
    request: RegistrationRequest | None,
    profile: RegionProfile,
    resource_id: str | None = None,
    protected: bool = False,
) -> Patient | OperationOutcome:
    """The FHIR resource of one outcome (``protected``: a completion's protected identity)."""
    if outcome.dry_run:
        planned = PLANNED_SV.get(outcome.planned or "", "")
        return operation_outcome(
            "dry_run",
            severity="information",
            code="informational",
            reason_code=outcome.planned,
            text=f"{DRY_RUN_SV}. {planned}".strip(),
            resource_id=resource_id,
        )
    if outcome.ok:
        return patient_resource(
            request,
            patient_id=outcome.patient_id,
            profile=profile,
            resource_id=resource_id,
            protected=protected,
        )
    kind = outcome.kind.value
    severity, code = _ISSUE[kind]
    if outcome.kind is OutcomeKind.NEEDS_PERSON and outcome.candidates:
        code = "multiple-matches"
    return operation_outcome(
        kind,
        severity=severity,
        code=code,
        reason_code=outcome.reason_code,
        text=outcome.reason_sv or OUTCOME_KIND_SV[kind],
        patient_id=outcome.patient_id,
        reservnummer=outcome.reservnummer,
        resource_id=resource_id,
    )


def operation_outcome(
    kind: str,
    *,
    severity: str | None = None,
    code: str | None = None,
    reason_code: str | None,
    text: str,
    display: str | None = None,
    patient_id: str | None = None,
    reservnummer: str | None = None,
    resource_id: str | None = None,
) -> OperationOutcome:
    """An OperationOutcome for an outcome ``kind`` (or a queue state) with its reason.

    ``display`` is the kind's Swedish label where the outcome vocabulary has none (a queue
    state: the queue's own word)."""
    default_severity, default_code = _ISSUE.get(kind, ("information", "informational"))
    coding = [
        {"system": terms.OUTCOME_KIND, "code": kind, "display": display or _KIND_SV.get(kind, kind)}
    ]
    if reason_code:
        coding.append({"system": terms.REASON, "code": reason_code})
    issues: list[dict[str, Any]] = [
        {
            "severity": severity or default_severity,
            "code": code or default_code,
            "details": {"coding": coding, "text": text},
        }
    ]
    facts = [
        ("Patient-ID i PMO: ", patient_id),
        ("Reservnummer som redan finns (skapa inget nytt): ", reservnummer),
    ]
    issues += [
        {"severity": "information", "code": "informational", "details": {"text": label + value}}
        for label, value in facts
        if value
    ]
    data: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": issues}
    if resource_id:
        data["id"] = resource_id
    return OperationOutcome.model_validate(data)


def invalid_request(problems: Sequence[tuple[str, str]]) -> OperationOutcome:
    """A refused request: one ``invalid`` issue per (FHIR path, Swedish reason)."""
    refusal = operation_outcome(
        "rejected", reason_code="request_invalid", text=REASONS_SV["request_invalid"]
    )
    data = refusal.model_dump(mode="json")
    data["issue"] += [
        {"severity": "error", "code": "invalid", "details": {"text": text}, "expression": [path]}
        for path, text in problems
    ]
    return OperationOutcome.model_validate(data)


def collection(
    resources: Sequence[Resource],
    *,
    identifier: tuple[str, str] | None = None,
    timestamp: datetime | None = None,
) -> Bundle:
    """A Bundle of type ``collection`` holding ``resources`` in order.

    Each entry's ``fullUrl`` is a ``urn:uuid`` derived from the resource type and id (the same
    resource gets the same address in every export), or a random one for a resource without
    an id. ``identifier`` is the Bundle's own (system, value).
    """
    entries = []
    for resource in resources:
        rid = getattr(resource, "id", None)
        name = f"{resource.get_resource_type()}/{rid}"
        full = uuid.uuid5(uuid.NAMESPACE_URL, f"{terms.PROJECT}/{name}") if rid else uuid.uuid4()
        entries.append({"fullUrl": f"urn:uuid:{full}", "resource": resource})
    data: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": (timestamp or datetime.now(UTC)).isoformat(timespec="seconds"),
        "entry": entries,
    }
    if identifier is not None:
        data["identifier"] = {"system": identifier[0], "value": identifier[1]}
    return Bundle.model_validate(data)


def to_json(resource: Resource) -> str:
    """The resource as FHIR JSON (two-space indent, non-ASCII kept), newline-terminated."""
    return resource.model_dump_json(indent=2) + "\n"
