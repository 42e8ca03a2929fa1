"""A registration request as an ``SEBasePatient``, and a FHIR Patient back into a request.

Out: ``patient_resource`` writes what the robot registered: the Patient-ID under the system of
its kind (personnummer and samordningsnummer under HL7 Sweden's systems, a reservnummer under
the region profile's ``identifier_system``), name, gender, birth date, the address PMO got (with
its address type), the patient group and PMO's Info text (this project's extensions), and the
case reference. A protected identity gets the security label ``sekretessmarkering`` and only
what the routine registers for it: Patient-ID, name, gender and birth date (no address, no
group, no Info text).

In: ``request_fields`` reads a Patient into the flat fields of a request (the keys of an import
row, ``apps/backlog/columns.py``), or the reasons it cannot be read, each naming the FHIR
path. The fields then go through the same rules as any request (``parse_request``); a
refusal of those rules is named by ``fhir_path``. The patient group comes from the extension
``GROUP_EXTENSION`` (``valueCode``, a key of the group table): a Patient without it is refused
(``register --group`` may give it, as it may give any field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from apps.fhir import terms
from flows.rules.identity import IdKind, InvalidIdentity, parse_patient_id
from flows.rules.model import Sex
from flows.rules.region import RegionProfile
from flows.rules.request import RegistrationRequest

# Where each field of a request lives in a Patient (FHIRPath), for refusals.
FIELD_PATHS: dict[str, str] = {
    "birth_date": "Patient.birthDate",
    "sex": "Patient.gender",
    "family_name": "Patient.name[0].family",
    "given_names": "Patient.name[0].given",
    "group": f"Patient.extension('{terms.GROUP_EXTENSION}')",
    "address": "Patient.address",
    "street": "Patient.address[0].line",
    "postal_code": "Patient.address[0].postalCode",
    "city": "Patient.address[0].city",
    "country": "Patient.address[0].country",
    "info": f"Patient.extension('{terms.INFO_EXTENSION}')",
    "protected": "Patient.meta.security",
    "external_ref": f"Patient.identifier.where(system='{terms.CASE_REFERENCE}')",
    "request": "Patient",
}

# Sex unknown (X, where a region profile registers it) is FHIR's "unknown".
_GENDER_OUT = {Sex.MAN: "male", Sex.KVINNA: "female", Sex.OKANT: "unknown"}
_GENDER_IN = {"male": "M", "female": "K"}
_GENDER_CODES = frozenset({"male", "female", "other", "unknown"})
_KIND_SYSTEMS = {
    IdKind.PERSONNUMMER: terms.PERSONNUMMER,
    IdKind.SAMORDNINGSNUMMER: terms.SAMORDNINGSNUMMER,
}


def fhir_path(field: str) -> str:
    """The FHIR path of a request field (``address.postal_code`` -> ``...postalCode``)."""
    return FIELD_PATHS.get(field.split(".")[-1], FIELD_PATHS.get(field, f"Patient ({field})"))


def covered(path: str, paths: list[str]) -> bool:
    """True when ``path`` is, or lies inside, one of ``paths`` (``Patient.name`` covers
    ``Patient.name[0].family``): a refusal already said there is not said twice."""
    return any(path == p or path.startswith((f"{p}[", f"{p}.")) for p in paths)


@dataclass(frozen=True)
class FhirIssue:
    """Why (part of) a FHIR resource cannot be read: the path, a stable code, Swedish text."""

    path: str
    code: str
    message_sv: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message_sv}"


# -- out ------------------------------------------------------------------------------------


def patient_identifier(patient_id: str, profile: RegionProfile) -> dict[str, Any]:
    """The Patient-ID as an ``Identifier``: the system of its kind, ``use`` official or temp.

    A reserve number goes under the region profile's ``identifier_system``; when the profile
    has none (``[reservnummer] system`` is empty), the identifier has no system and says in
    ``type.text`` what it is, so nothing claims a system the region has not given.
    """
    try:
        parsed = parse_patient_id(patient_id, profile=profile)
        kind, value = parsed.kind, parsed.value
    except InvalidIdentity:  # what PMO holds, in a shape the profile does not know
        kind, value = IdKind.RESERVNUMMER, patient_id.strip()
    system = _KIND_SYSTEMS.get(kind) or profile.identifier_system
    identifier: dict[str, Any] = {
        "use": "temp" if kind is IdKind.RESERVNUMMER else "official",
        "value": value,
    }
    if system:
        identifier["system"] = system
    else:
        identifier["type"] = {"text": f"{kind.label_sv} ({profile.name})"}
    return identifier


def security_label() -> dict[str, str]:
    """The ``meta.security`` coding of a protected identity (HL7 Sweden's SecurityLabelCS)."""
    code, display = terms.PROTECTED_LABEL
    return {"system": terms.SE_SECURITY_LABEL, "code": code, "display": display}


def patient_resource(
    request: RegistrationRequest | None,
    *,
    patient_id: str | None,
    profile: RegionProfile,
    resource_id: str | None = None,
    protected: bool = False,
) -> Patient:
    """An ``SEBasePatient`` for ``request`` registered as ``patient_id`` (None: not yet).

    Without a request (a completion knows only the number) the Patient holds the identifier
    alone. ``protected`` marks a protected identity when there is no request to say so.
    """
    protected = protected or (request is not None and request.protected)
    meta: dict[str, Any] = {"profile": [terms.SE_BASE_PATIENT]}
    if protected:
        meta["security"] = [security_label()]
    data: dict[str, Any] = {"resourceType": "Patient", "meta": meta}
    if resource_id:
        data["id"] = resource_id
    identifiers = [patient_identifier(patient_id, profile)] if patient_id else []
    if request is not None and request.external_ref:
        identifiers.append(
            {"use": "secondary", "system": terms.CASE_REFERENCE, "value": request.external_ref}
        )
    if identifiers:
        data["identifier"] = identifiers
    if request is not None:
        data.update(_person(request))
        if not protected:
            data.update(_registered_details(request))
    return Patient.model_validate(data)


def _person(request: RegistrationRequest) -> dict[str, Any]:
    return {
        "name": [
            {
                "use": "official",
                "text": f"{request.given_names} {request.family_name}",
                "family": request.family_name,
                "given": request.given_names.split(" "),
            }
        ],
        "gender": _GENDER_OUT[request.sex],
        "birthDate": request.birth_date.isoformat(),
    }


def _registered_details(request: RegistrationRequest) -> dict[str, Any]:
    """Group, Info text and address: what PMO gets beyond the person (never when protected)."""
    data: dict[str, Any] = {
        "extension": [
            {"url": terms.GROUP_EXTENSION, "valueCode": request.group},
            {"url": terms.INFO_EXTENSION, "valueString": request.info},
        ]
    }
    address = request.address
    if address is not None:
        code, display = terms.ADDRESS_GIVEN if address.country == "SE" else terms.ADDRESS_ABROAD
        kind = {"system": terms.SNOMED, "version": terms.SNOMED_SE, "code": code}
        entry: dict[str, Any] = {
            "extension": [
                {
                    "url": terms.SE_ADDRESS_TYPE,
                    "valueCodeableConcept": {"coding": [{**kind, "display": display}]},
                }
            ],
            "line": [address.street],
            "city": address.city,
            "country": address.country,
        }
        if address.postal_code:
            entry["postalCode"] = address.postal_code
        data["address"] = [entry]
    return data


# -- in -------------------------------------------------------------------------------------


def request_fields(resource: Mapping[str, Any]) -> tuple[dict[str, str], list[FhirIssue]]:
    """A Patient's request fields (import-row keys, text values), and why it cannot be taken.

    Checks the structure and types with ``fhir.resources`` first; then what this routine
    needs that FHIR leaves open: one name, at most one address, a gender of man or woman, no
    personnummer or samordningsnummer (such a person gets no reservnummer). A missing field is
    left out, so the request rules name it (``Patient.birthDate``: "Ange födelsedatum."). The
    fields read are returned beside the issues, so the rules can say what else is wrong; a
    structural problem returns no fields.
    """
    kind = resource.get("resourceType")
    if kind != "Patient":
        shown = str(kind)[:40] if isinstance(kind, str) and kind.isprintable() else "saknas"
        return {}, [
            FhirIssue(
                "resourceType",
                "fhir_not_patient",
                f"Posten är ingen Patient (resourceType: {shown}). Bara Patient tas emot.",
            )
        ]
    try:
        Patient.model_validate(resource)
    except ValidationError as exc:
        return {}, [_structure_issue(err) for err in exc.errors()]
    issues: list[FhirIssue] = []
    fields: dict[str, str] = {}
    _read_name(resource, fields, issues)
    _read_gender(resource, fields, issues)
    if isinstance(resource.get("birthDate"), str):
        fields["birth_date"] = resource["birthDate"]
    _read_address(resource, fields, issues)
    _read_extensions(resource, fields)
    _read_identifiers(resource, fields, issues)
    security = (resource.get("meta") or {}).get("security") or []
    if any(
        c.get("system") == terms.SE_SECURITY_LABEL and c.get("code") in terms.PROTECTED_CODES
        for c in security
    ):
        fields["protected"] = "ja"
    return fields, issues


def _read_name(
    resource: Mapping[str, Any], fields: dict[str, str], issues: list[FhirIssue]
) -> None:
    names = resource.get("name") or []
    if len(names) > 1:
        issues.append(
            FhirIssue(
                "Patient.name",
                "fhir_many_names",
                "Patienten har flera namn; SEBasePatient tillåter ett. Ange namnet som i "
                "personens ID-handling.",
            )
        )
        return
    if names:
        name = names[0]
        if name.get("family"):
            fields["family_name"] = name["family"]
        given = [g for g in name.get("given") or [] if g]
        if given:
            fields["given_names"] = " ".join(given)


def _read_gender(
    resource: Mapping[str, Any], fields: dict[str, str], issues: list[FhirIssue]
) -> None:
    gender = resource.get("gender")
    if gender is None:
        return
    if gender in _GENDER_IN:
        fields["sex"] = _GENDER_IN[gender]
    elif gender in _GENDER_CODES:
        issues.append(
            FhirIssue(
                "Patient.gender",
                "sex_invalid",
                "Roboten registrerar bara man (male) eller kvinna (female), som PMO. En person "
                "får registrera den här patienten för hand.",
            )
        )
    else:
        issues.append(
            FhirIssue(
                "Patient.gender",
                "fhir_code_unknown",
                "Okänd kod för kön: FHIR tillåter male, female, other och unknown.",
            )
        )


def _read_address(
    resource: Mapping[str, Any], fields: dict[str, str], issues: list[FhirIssue]
) -> None:
    addresses = resource.get("address") or []
    if len(addresses) > 1:
        issues.append(
            FhirIssue(
                "Patient.address",
                "fhir_many_addresses",
                "Patienten har flera adresser; ange bara den adress som ska in i PMO.",
            )
        )
        return
    if not addresses:
        return
    address = addresses[0]
    lines = [line for line in address.get("line") or [] if line]
    if lines:
        fields["street"] = ", ".join(lines)
    for key, name in (("postalCode", "postal_code"), ("city", "city"), ("country", "country")):
        if address.get(key):
            fields[name] = address[key]


def _read_extensions(resource: Mapping[str, Any], fields: dict[str, str]) -> None:
    for extension in resource.get("extension") or []:
        url = extension.get("url")
        value = extension.get("valueCode") or extension.get("valueString")
        if url == terms.GROUP_EXTENSION and value:
            fields["group"] = value
        elif url == terms.INFO_EXTENSION and value:
            fields["info"] = value


def _read_identifiers(
    resource: Mapping[str, Any], fields: dict[str, str], issues: list[FhirIssue]
) -> None:
    for identifier in resource.get("identifier") or []:
        system = identifier.get("system")
        if system in (terms.PERSONNUMMER, terms.SAMORDNINGSNUMMER):
            issues.append(
                FhirIssue(
                    "Patient.identifier",
                    "has_personnummer",
                    "Patienten har personnummer eller samordningsnummer: registrera med det "
                    "numret, inget reservnummer skapas.",
                )
            )
        elif system == terms.CASE_REFERENCE and identifier.get("value"):
            fields["external_ref"] = identifier["value"]


_STRUCTURE_SV = {
    "extra_forbidden": "Okänt fält i en FHIR Patient: kontrollera stavningen.",
    "missing": "Fältet saknas men krävs av FHIR.",
}


def _structure_issue(err: Mapping[str, Any]) -> FhirIssue:
    """One ``fhir.resources`` validation error as a Swedish refusal naming the FHIR path."""
    path = "Patient" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]
    )
    kind = str(err["type"])
    message = _STRUCTURE_SV.get(kind) or (
        "Fel datatyp enligt FHIR (till exempel en lista där ett värde ska stå)."
        if kind.endswith("_type")
        else "Ogiltigt värde enligt FHIR."
    )
    return FhirIssue(path, "fhir_structure", f"{message} Rätta posten och försök igen.")
