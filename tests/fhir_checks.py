"""Checks of the robot's FHIR output: parses with fhir.resources, meets HL7 Sweden's invariants.

The invariants are HL7 Sweden's published FHIRPath expressions (``tests/data/fhir/
se-invariants.json``, copied from ``PatientIdentifierConformancePatternSE.fsh``), evaluated with
``fhirpathpy`` on each identifier whose system they are published for: the national systems,
and the region profile's own system for its local reserve numbers.

One adjustment, said where it is made: the published regexes follow Java's syntax (HL7's
validator is Java), where ``[A-Z&&[^IOQVW]]`` is the intersection "A to Z but not I, O, Q, V,
W". Python's ``re`` (fhirpathpy's engine) has no intersection and reads the same text as
another class, so ``java_regex`` rewrites it to the same set (``[A-HJ-NPR-UX-Z]``) first.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhirpathpy import evaluate

DATA = Path(__file__).parent / "data" / "fhir" / "se-invariants.json"
_INTERSECTION = re.compile(r"\[A-Z&&\[\^([A-Z]+)\]\]")


@cache
def published() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


def invariant(name: str) -> dict[str, Any]:
    return next(i for i in published()["invariants"] if i["name"] == name)


def java_regex(text: str) -> str:
    """``[A-Z&&[^XYZ]]`` (Java's class intersection) as one Python class of the same letters."""

    def explicit(match: re.Match[str]) -> str:
        excluded = set(match.group(1))
        return "[" + "".join(c for c in string.ascii_uppercase if c not in excluded) + "]"

    return _INTERSECTION.sub(explicit, text)


def holds(expression: str, value: str) -> bool:
    """Whether an identifier invariant holds for ``value`` (evaluated as on Identifier.value)."""
    patient = {"resourceType": "Patient", "identifier": [{"value": value}]}
    result = evaluate(patient, f"Patient.identifier.value.all({java_regex(expression)})")
    return result == [True]


def parse(resource: dict[str, Any]) -> Any:
    """The resource through fhir.resources' R4B model of its type (raises when it is wrong)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def invariants_for(system: str, *, region: str, region_system: str) -> list[dict[str, Any]]:
    """The published invariants that apply to an identifier of ``system``."""
    found = [i for i in published()["invariants"] if i.get("system") == system]
    if region_system and system == region_system:
        found += [i for i in published()["invariants"] if i.get("region") == region]
    return found


def check_patient(
    resource: dict[str, Any], *, region: str = "gavleborg", region_system: str = ""
) -> list[str]:
    """Assert that a Patient parses and meets every invariant of its identifiers' systems.

    Returns the names of the invariants evaluated (so a test can say which had to apply).
    """
    parse(resource)
    checked = []
    for identifier in resource.get("identifier", []):
        system = identifier.get("system", "")
        for rule in invariants_for(system, region=region, region_system=region_system):
            assert holds(rule["expression"], identifier["value"]), (rule["name"], identifier)
            checked.append(rule["name"])
    return checked


def audit_chain(bundle: dict[str, Any]) -> dict[int, str]:
    """Check an exported audit Bundle against the log's chain rule, from the export alone.

    For every AuditEvent: recompute the entry's hash from what the event carries (the log's
    rule: sha256 over the JSON list of previous hash, time, actor, reference hash, subject
    hash, system, step, result, detail) and compare it with the hash it carries; consecutive
    events must link (previous = the hash before). Returns entry number -> hash, for a test to
    compare with what the log stored.
    """
    import hashlib
    from datetime import datetime

    hashes: dict[int, str] = {}
    last: str | None = None
    for entry in bundle["entry"]:
        event = entry["resource"]
        if event["resourceType"] != "AuditEvent":
            continue
        parse(event)
        [chain] = event["extension"]
        parts = {e["url"]: e.get("valueString", e.get("valueInteger")) for e in chain["extension"]}
        what = {e["what"]["identifier"]["system"]: e for e in event["entity"]}
        reference = next(e for s, e in what.items() if s.endswith("reference-hash"))
        subject = next((e for s, e in what.items() if s.endswith("patient-id-hash")), None)
        detail = {d["type"]: d["valueString"] for d in reference.get("detail", [])}
        material = [
            parts["previous"],
            datetime.fromisoformat(event["recorded"]).isoformat(timespec="microseconds"),
            event["agent"][0]["who"]["identifier"]["value"],
            reference["what"]["identifier"]["value"],
            subject["what"]["identifier"]["value"] if subject else None,
            event["source"]["site"],
            event["subtype"][0]["code"],
            event["outcomeDesc"],
            detail.get("detail", ""),
        ]
        digest = hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()
        assert digest == parts["hash"], event["id"]
        if last is not None:
            assert parts["previous"] == last, event["id"]
        last = parts["hash"]
        hashes[int(parts["entry"])] = parts["hash"]
    return hashes
