"""FHIR input: a Patient (or a Bundle of them) read into request fields, or refused in Swedish.

A file that cannot be taken is refused as a whole; inside a readable Bundle each entry is
refused on its own, naming its FHIR path, and the rules of every request name their path too.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.fhir import terms
from apps.fhir.patient import fhir_path
from apps.fhir.reading import MAX_ENTRIES, FhirUnreadable, PatientEntry, read_patients
from flows.rules.groups import PatientGroup
from flows.rules.request import RequestInvalid, parse_request

GROUP = f"Patient.extension('{terms.GROUP_EXTENSION}')"


def patient(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "extension": [{"url": terms.GROUP_EXTENSION, "valueCode": "asylsokande"}],
        "name": [{"family": "Exempelsson", "given": ["Testa", "Maria"]}],
        "gender": "female",
        "birthDate": "1990-04-17",
        "address": [
            {"line": ["Exempelgatan 1"], "postalCode": "80320", "city": "Gävle", "country": "SE"}
        ],
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def bundle(*resources: object) -> bytes:
    entries = [{"resource": r} for r in resources]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def only(raw: bytes) -> PatientEntry:
    [entry] = read_patients(raw)
    return entry


def issues(entry: PatientEntry) -> dict[str, str]:
    return {i.path: i.code for i in entry.issues}


def refusals(entry: PatientEntry, groups: dict[str, PatientGroup]) -> dict[str, str]:
    """The request rules' refusals of an entry's fields, by FHIR path."""
    assert entry.issues == ()
    with pytest.raises(RequestInvalid) as err:
        parse_request(entry.fields, groups=groups)
    return {fhir_path(e.field): e.code for e in err.value.errors}


def test_a_patient_should_become_the_fields_of_a_request(
    groups: dict[str, PatientGroup],
) -> None:
    entry = only(json.dumps(patient()).encode())
    request = parse_request(entry.fields, groups=groups)
    assert (request.family_name, request.given_names, request.sex.value) == (
        "Exempelsson",
        "Testa Maria",
        "K",
    )
    assert request.address is not None and request.address.postal_code == "803 20"
    assert request.group == "asylsokande" and not request.protected


def test_a_bundle_should_give_one_entry_per_resource_each_on_its_own() -> None:
    entries = read_patients(
        bundle(patient(), {"resourceType": "Observation", "status": "final"}, patient())
    )
    assert [e.number for e in entries] == [1, 2, 3]
    assert [bool(e.issues) for e in entries] == [False, True, False]
    assert issues(entries[1]) == {"Bundle.entry[1].resource.resourceType": "fhir_not_patient"}
    assert "Bara Patient tas emot" in entries[1].issues[0].message_sv


def test_missing_birth_date_should_be_refused_naming_patient_birth_date(
    groups: dict[str, PatientGroup],
) -> None:
    entry = only(json.dumps(patient(birthDate=None)).encode())
    assert refusals(entry, groups) == {"Patient.birthDate": "field_required"}


def test_missing_group_extension_should_be_refused_naming_the_extension(
    groups: dict[str, PatientGroup],
) -> None:
    entry = only(json.dumps(patient(extension=None)).encode())
    assert refusals(entry, groups) == {GROUP: "field_required"}


def test_a_partial_birth_date_should_be_refused_by_the_request_rules(
    groups: dict[str, PatientGroup],
) -> None:
    entry = only(json.dumps(patient(birthDate="1990")).encode())  # valid FHIR, not enough here
    assert refusals(entry, groups) == {"Patient.birthDate": "birth_date_invalid"}


def test_two_birth_dates_in_one_patient_should_be_refused() -> None:
    text = json.dumps(patient()).replace(
        '"birthDate": "1990-04-17"', '"birthDate": "1990-04-17", "birthDate": "1991-05-18"'
    )
    entry = only(text.encode())
    assert issues(entry) == {"Patient.birthDate": "fhir_field_twice"}
    assert entry.fields == {}
    assert "två gånger" in entry.issues[0].message_sv


def test_birth_date_given_as_a_list_should_be_refused_as_fhir_structure() -> None:
    entry = only(json.dumps(patient(birthDate=["1990-04-17", "1991-05-18"])).encode())
    assert issues(entry) == {"Patient.birthDate": "fhir_structure"}
    assert "Fel datatyp enligt FHIR" in entry.issues[0].message_sv


@pytest.mark.parametrize(
    ("gender", "code"),
    [("x", "fhir_code_unknown"), ("other", "sex_invalid"), ("unknown", "sex_invalid")],
)
def test_a_gender_other_than_male_or_female_should_be_refused(gender: str, code: str) -> None:
    entry = only(json.dumps(patient(gender=gender)).encode())
    assert issues(entry) == {"Patient.gender": code}


def test_an_unknown_field_should_be_refused_naming_it() -> None:
    entry = only(json.dumps(patient(birthdate="1990-04-17")).encode())
    assert issues(entry) == {"Patient.birthdate": "fhir_structure"}
    assert "Okänt fält" in entry.issues[0].message_sv


def test_a_person_with_a_personnummer_should_get_no_reservnummer() -> None:
    number = {"system": terms.PERSONNUMMER, "value": "195009072553"}
    entry = only(json.dumps(patient(identifier=[number])).encode())
    assert issues(entry) == {"Patient.identifier": "has_personnummer"}


def test_a_security_label_should_mark_the_request_protected(
    groups: dict[str, PatientGroup],
) -> None:
    label = {"system": terms.SE_SECURITY_LABEL, "code": "skyddadFolkbokforing"}
    entry = only(json.dumps(patient(meta={"security": [label]}, address=None)).encode())
    assert parse_request(entry.fields, groups=groups).protected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"namn;kon\nA;K\n", "inte giltig JSON"),
        ("{}".encode("utf-16"), "UTF-8"),
        (b'{"name": "x"}', "resourceType saknas"),
        (b'{"resourceType": "Observation"}', "FHIR Observation"),
        (b'{"resourceType": "Bundle", "type": "collection"}', "inga poster"),
        (bundle(*[{"resourceType": "Patient"}] * (MAX_ENTRIES * 2)), "10000 poster"),
    ],
    ids=["not-json", "not-utf8", "no-resource-type", "observation", "empty-bundle", "10000"],
)
def test_a_file_that_cannot_be_taken_should_be_refused_as_a_whole(raw: bytes, words: str) -> None:
    with pytest.raises(FhirUnreadable) as err:
        read_patients(raw)
    assert words in err.value.message
