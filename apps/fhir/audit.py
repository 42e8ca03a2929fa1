"""The audit log as FHIR: one AuditEvent per entry, a Provenance for each create and save.

Built from the audit log's public reading (``AuditLog.recent``, oldest first) and nothing
else: identities stay as the log stores them, the item reference and the Patient-ID as keyed
hashes, never a name or a number. The agent is whoever the entry names: the robot (``robot:``
worker), or a person (the command line's, the attended app's or the queue commands' account).

Each AuditEvent carries what the log's hash chain covers, so a reviewer can check an export
against ``audit verify`` without the database: ``recorded`` (the entry's time), the agent's
identifier (actor), the entity identifiers (reference hash, Patient-ID hash), ``source.site``
(the system), the ``subtype`` code (the step), ``outcomeDesc`` (the result), the entity detail
``detail``, and in the extension ``CHAIN_EXTENSION`` the entry's number, the previous entry's
hash and its own. The hashes are computed with the log's own chain function over the entries
as read, from the first entry on, so an export of an intact log (``audit verify``) carries
exactly the hashes stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.resource import Resource

from apps.fhir import terms
from flows.rules.vocabulary import STEP_LABELS_SV

# The chain's own hash function and start value: one home for the rule (robot/audit.py).
from robot.audit import GENESIS, AuditEntry, entry_hash

CHAIN_EXTENSION = f"{terms.PROJECT}/StructureDefinition/audit-chain"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
_RECORD = {"system": DCM, "code": "110110", "display": "Patient Record"}
_ACTIVITY = {"system": DCM, "code": "110100", "display": "Application Activity"}
_ROLE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
_DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

# What each step does to a record (AuditEvent.action): Create, Update, Read; else Execute.
_ACTIONS = {
    "create_rns": "C",
    "register_pmo": "C",
    "change_pmo": "U",
    "search_pmo": "R",
    "search_rns": "R",
    "open_patient": "R",
    "verify": "R",
}
# The creates and saves that get a Provenance (when done), with their data operation.
_PROVENANCE = {"create_rns": "CREATE", "register_pmo": "CREATE", "change_pmo": "UPDATE"}
# AuditEvent.outcome: 0 success, 4 minor failure (a person must act), 8 serious failure.
_OUTCOMES = {"needs_person": "4", "failed": "8"}


@dataclass(frozen=True)
class ChainedEntry:
    """An audit entry with its place in the hash chain."""

    entry: AuditEntry
    previous: str
    hash: str


def chain(entries: Sequence[AuditEntry]) -> list[ChainedEntry]:
    """Every entry (all of them, oldest first, from the first) with its chain hashes."""
    out: list[ChainedEntry] = []
    previous = GENESIS
    for e in entries:
        digest = entry_hash(
            previous,
            e.at.isoformat(timespec="microseconds"),
            e.actor,
            e.ref,
            e.subject,
            e.system,
            e.step,
            e.result,
            e.detail,
        )
        out.append(ChainedEntry(e, previous, digest))
        previous = digest
    return out


def audit_resources(chained: Sequence[ChainedEntry]) -> list[Resource]:
    """An AuditEvent per entry, each followed by a Provenance when it is a done create/save."""
    subjects = {c.entry.ref: c.entry.subject for c in chained if c.entry.subject}
    resources: list[Resource] = []
    for c in chained:
        resources.append(audit_event(c))
        operation = _PROVENANCE.get(c.entry.step)
        if operation and c.entry.result == "done":
            resources.append(provenance(c, operation, subjects.get(c.entry.ref)))
    return resources


def _identifier(system: str, value: str) -> dict[str, Any]:
    return {"identifier": {"system": system, "value": value}}


def _agent(actor: str) -> dict[str, Any]:
    robot = actor.startswith("robot:")
    role = ("dataprocessor", "data processor") if robot else ("humanuser", "human user")
    return {
        "type": {"coding": [{"system": _ROLE, "code": role[0], "display": role[1]}]},
        "who": _identifier(terms.AUDIT_ACTOR, actor),
        "requestor": True,
    }


def audit_event(c: ChainedEntry) -> AuditEvent:
    """One audit entry as an AuditEvent (id ``audit-<entry number>``)."""
    e = c.entry
    reference: dict[str, Any] = {
        "what": _identifier(terms.AUDIT_REF, e.ref),
        "type": {"system": _ENTITY_TYPE, "code": "2", "display": "System Object"},
    }
    if e.detail:
        reference["detail"] = [{"type": "detail", "valueString": e.detail}]
    entities = [reference]
    if e.subject:
        entities.append(
            {
                "what": _identifier(terms.AUDIT_SUBJECT, e.subject),
                "type": {"system": _ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": _OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    return AuditEvent.model_validate(
        {
            "resourceType": "AuditEvent",
            "id": f"audit-{e.id}",
            "extension": [
                {
                    "url": CHAIN_EXTENSION,
                    "extension": [
                        {"url": "entry", "valueInteger": e.id},
                        {"url": "previous", "valueString": c.previous},
                        {"url": "hash", "valueString": c.hash},
                    ],
                }
            ],
            "type": _RECORD if e.system in ("pmo", "rns") else _ACTIVITY,
            "subtype": [
                {
                    "system": terms.AUDIT_STEP,
                    "code": e.step,
                    "display": STEP_LABELS_SV.get(e.step, e.step),
                }
            ],
            "action": _ACTIONS.get(e.step, "E"),
            "recorded": e.at.isoformat(timespec="microseconds"),
            "outcome": _OUTCOMES.get(e.result, "0"),
            "outcomeDesc": e.result,
            "agent": [_agent(e.actor)],
            "source": {
                "site": e.system,
                "observer": {"display": "reservnummer-robot"},
                "type": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                        "code": "4",
                        "display": "Application Server",
                    }
                ],
            },
            "entity": entities,
        }
    )


def provenance(c: ChainedEntry, operation: str, subject: str | None) -> Provenance:
    """Who created or saved what, when: the target is the item (and the record when known)."""
    e = c.entry
    targets = [_identifier(terms.AUDIT_REF, e.ref)]
    if subject:
        targets.append(_identifier(terms.AUDIT_SUBJECT, subject))
    return Provenance.model_validate(
        {
            "resourceType": "Provenance",
            "id": f"audit-{e.id}-provenance",
            "target": targets,
            "recorded": e.at.isoformat(timespec="microseconds"),
            "activity": {"coding": [{"system": _DATA_OPERATION, "code": operation}]},
            "agent": [
                {
                    "type": {"coding": [{"system": _PARTICIPANT, "code": "performer"}]},
                    "who": _identifier(terms.AUDIT_ACTOR, e.actor),
                }
            ],
            "entity": [{"role": "source", "what": {"reference": f"AuditEvent/audit-{e.id}"}}],
        }
    )
