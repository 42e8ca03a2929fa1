"""``register`` in FHIR end to end: a FHIR Patient in, the registered SEBasePatient out.

Runs the command as a user would (typer's runner, settings from the environment) against the
real mock sites: the Patient printed names the Patient-ID that PMO now holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apps.cli.main import app
from apps.fhir import terms
from flows.rules.region import load_region_profile
from flows.rules.request import RegistrationRequest
from mock_sites.testing import MockSites
from robot.settings import DEFAULT_CONFIG_DIR
from tests.e2e.people import People, patients_born
from tests.fhir_checks import check_patient, parse

pytestmark = pytest.mark.e2e


def fhir_patient(request: RegistrationRequest) -> dict[str, Any]:
    """The request as another system would send it: a plain FHIR Patient with the group."""
    assert request.address is not None
    return {
        "resourceType": "Patient",
        "extension": [{"url": terms.GROUP_EXTENSION, "valueCode": request.group}],
        "identifier": [{"system": terms.CASE_REFERENCE, "value": "FHIR-E2E-1"}],
        "name": [{"family": request.family_name, "given": request.given_names.split()}],
        "gender": {"M": "male", "K": "female"}[request.sex.value],
        "birthDate": request.birth_date.isoformat(),
        "address": [
            {
                "line": [request.address.street],
                "postalCode": request.address.postal_code.replace(" ", ""),
                "city": request.address.city,
                "country": "SE",
            }
        ],
    }


def test_register_should_take_a_fhir_patient_and_print_the_registered_patient(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(fhir_patient(request)), encoding="utf-8")

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--format", "fhir"], env=env)

    assert result.exit_code == 0, result.output
    patient = json.loads(result.stdout)
    [record] = patients_born(mock_sites, request.birth_date)
    profile = load_region_profile(DEFAULT_CONFIG_DIR, "gavleborg")
    # Parses as R4(B); the published invariants of its identifiers' systems hold.
    check_patient(patient, region=profile.key, region_system=profile.identifier_system)
    assert patient["identifier"][0]["value"] == record["patient_id"]
    assert patient["identifier"][1] == {
        "use": "secondary",
        "system": terms.CASE_REFERENCE,
        "value": "FHIR-E2E-1",
    }
    assert (patient["name"][0]["family"], patient["birthDate"]) == (
        request.family_name,
        request.birth_date.isoformat(),
    )
    assert patient["address"][0]["postalCode"] == request.address.postal_code  # type: ignore[union-attr]


def test_register_should_refuse_a_fhir_patient_naming_the_path(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    request = People(mock_sites).request()
    data = fhir_patient(request)
    del data["birthDate"]
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--format", "fhir"], env=env)

    assert result.exit_code == 3, result.output
    refusal = json.loads(result.stdout)
    assert refusal["resourceType"] == "OperationOutcome"
    assert [i["expression"] for i in refusal["issue"][1:]] == [["Patient.birthDate"]]
    assert patients_born(mock_sites, request.birth_date) == []


def test_complete_pnr_should_print_its_outcome_as_fhir(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["complete-pnr", "20120101001K3", "201201019824", "--format", "fhir"], env=env
    )

    assert result.exit_code == 2, result.output
    outcome = json.loads(result.stdout)
    parse(outcome)
    issue = outcome["issue"][0]
    assert (issue["severity"], issue["code"]) == ("warning", "business-rule")
    assert {"system": terms.REASON, "code": "identity_not_checked"} in issue["details"]["coding"]


def test_register_should_refuse_a_bundle_of_several_patients(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    people = People(mock_sites)
    entries = [{"resource": fhir_patient(people.request())} for _ in range(2)]
    path = tmp_path / "patienter.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))

    result = CliRunner().invoke(app, ["register", "--file", str(path)], env=env)

    assert result.exit_code == 3, result.output
    assert "backlog import" in result.output


def test_register_should_name_every_problem_of_a_fhir_patient_at_once(
    env: dict[str, str], mock_sites: MockSites, tmp_path: Path
) -> None:
    data = fhir_patient(People(mock_sites).request())
    data["gender"] = "unknown"
    del data["extension"]
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = CliRunner().invoke(app, ["register", "--file", str(path), "--format", "fhir"], env=env)

    assert result.exit_code == 3, result.output
    refusal = json.loads(result.stdout)
    assert [i["expression"] for i in refusal["issue"][1:]] == [
        ["Patient.gender"],
        [f"Patient.extension('{terms.GROUP_EXTENSION}')"],
    ]
