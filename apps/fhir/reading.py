"""Reading a FHIR file of requests: one Patient, or a Bundle of Patients, as JSON.

The whole file is checked before any entry is used, so a file that cannot be taken is refused
as a whole and nothing of it is queued: not JSON (or not UTF-8), larger than ``MAX_BYTES``, a
resource other than a Patient or a Bundle, a Bundle without entries or with more than
``MAX_ENTRIES`` of them (split such a file: a mistake, such as a whole register exported,
must not become thousands of registrations). Inside a readable file each entry stands alone:
a Patient is read into request fields (``apps.fhir.patient.request_fields``), and an entry
that cannot be (another resource type, a field given twice, a wrong type, an unknown gender
code) carries its reasons, each naming its FHIR path.

JSON allows a key twice in one object and Python's reader keeps the last one silently; two
``birthDate`` in one Patient would then pass as one. Keys given twice are found here and the
entry is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from apps.fhir.patient import FhirIssue, request_fields
from robot.errors import BusinessError

MAX_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 5_000


class FhirUnreadable(BusinessError):
    """The file as a whole is no FHIR Patient or Bundle of Patients the robot can take."""

    default_code = "fhir_unreadable"


@dataclass(frozen=True)
class PatientEntry:
    """One entry of a FHIR file: its number (1 = the first), its fields or its issues.

    ``text`` is the entry's resource as canonical JSON when it has issues, so that a refused
    entry can be told from another one (and the same one imported again recognised) by a keyed
    hash of it, as a refused row is by its cells.
    """

    number: int
    fields: dict[str, str] = field(default_factory=dict)
    issues: tuple[FhirIssue, ...] = ()
    text: str = ""


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    twice: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        obj.twice = tuple(sorted({k for k in keys if keys.count(k) > 1}))
    return obj


def is_fhir(data: object) -> bool:
    """True for parsed JSON that is a FHIR resource (it names its ``resourceType``)."""
    return isinstance(data, dict) and "resourceType" in data


def read_patients(raw: bytes) -> list[PatientEntry]:
    """Every entry of a FHIR file (bytes as read); raises ``FhirUnreadable`` for the file."""
    if len(raw) > MAX_BYTES:
        raise FhirUnreadable(
            f"Filen är större än {MAX_BYTES // (1024 * 1024)} MB. Dela upp den i flera filer."
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_pairs)
    except UnicodeDecodeError:
        raise FhirUnreadable("Filen är inte sparad som UTF-8, som FHIR JSON ska vara.") from None
    except json.JSONDecodeError as exc:
        raise FhirUnreadable(
            f"Filen är inte giltig JSON (rad {exc.lineno}, tecken {exc.colno}). En FHIR-fil "
            "ska innehålla en Patient eller en Bundle med Patient-poster."
        ) from None
    if not is_fhir(data):
        raise FhirUnreadable(
            "Filen är ingen FHIR-resurs (resourceType saknas). Ange en Patient eller en "
            "Bundle med Patient-poster."
        )
    kind = data["resourceType"]
    if kind == "Patient":
        return [_entry(1, data, "Patient")]
    if kind != "Bundle":
        shown = str(kind)[:40] if isinstance(kind, str) and kind.isprintable() else "?"
        raise FhirUnreadable(
            f"Filen är en FHIR {shown}; roboten tar emot en Patient eller en Bundle med "
            "Patient-poster."
        )
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        raise FhirUnreadable("Bundle har inga poster (entry): det finns inget att registrera.")
    if len(entries) > MAX_ENTRIES:
        raise FhirUnreadable(
            f"Bundle har {len(entries)} poster; högst {MAX_ENTRIES} tas emot i en fil. Dela "
            "upp filen; inget i den här filen har lagts i kön."
        )
    return [
        _entry(
            n, entry.get("resource") if isinstance(entry, dict) else None, f"Bundle.entry[{n - 1}]"
        )
        for n, entry in enumerate(entries, start=1)
    ]


def _entry(number: int, resource: object, where: str) -> PatientEntry:
    text = json.dumps(resource, ensure_ascii=False, sort_keys=True)
    if not isinstance(resource, dict):
        issue = FhirIssue(
            f"{where}.resource", "fhir_no_resource", "Posten saknar en resurs (resource)."
        )
        return PatientEntry(number, issues=(issue,), text=text)
    twice = sorted(set(_twice(resource, "Patient")))
    if twice:
        issues = tuple(
            FhirIssue(
                path,
                "fhir_field_twice",
                "Fältet finns två gånger i samma post; ange ett värde, en gång.",
            )
            for path in twice
        )
        return PatientEntry(number, issues=issues, text=text)
    fields, found = request_fields(resource)
    if found and found[0].path == "resourceType" and where != "Patient":
        found = [FhirIssue(f"{where}.resource.resourceType", i.code, i.message_sv) for i in found]
    return PatientEntry(number, fields=fields, issues=tuple(found), text=text if found else "")


def _twice(node: object, path: str) -> Iterator[str]:
    """The FHIR paths of the keys given twice anywhere in ``node``."""
    if isinstance(node, _Object):
        for key in node.twice:
            yield f"{path}.{key}"
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _twice(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _twice(value, f"{path}[{index}]")
