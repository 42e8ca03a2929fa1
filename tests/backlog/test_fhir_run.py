"""A FHIR Bundle through the backlog end to end: import, run on the mock sites, report, audit.

``backlog import patients.json`` (a Bundle of Patients), ``backlog run``, then ``backlog report
--fhir`` (one Bundle per run, one resource per item, as ``resultat.csv`` says) and ``audit
export --fhir`` (AuditEvents that recompute to the hashes ``audit verify`` checks).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.backlog.run import RunOptions, run_backlog
from apps.cli.main import app
from apps.fhir import terms
from apps.fhir.patient import patient_resource
from flows.rules.region import load_region_profile
from mock_sites.testing import MockSites
from qa.people import InventedPeople, taken_in
from tests.fhir_checks import audit_chain, check_patient, parse
from tests.fixtures.settings import environment_of

from .helpers import robot_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def sites(fresh_mock_sites: MockSites) -> Iterator[MockSites]:
    yield fresh_mock_sites
    fresh_mock_sites.reset()


def test_a_fhir_bundle_should_be_imported_registered_reported_and_audited(
    sites: MockSites, tmp_path: Path
) -> None:
    settings = robot_settings(tmp_path, sites)
    env = {**environment_of(settings), "COLUMNS": "200"}
    profile = load_region_profile(settings.config_dir, settings.region)
    people = InventedPeople(seed=2201, taken=taken_in(sites))
    requests = [
        people.request(external_ref="FHIR-1"),
        people.request(external_ref="FHIR-2"),
        people.request(external_ref="FHIR-3", protected="ja"),
    ]
    entries = []
    for request in requests:
        resource = patient_resource(request, patient_id=None, profile=profile).model_dump(
            mode="json"
        )
        # A sending system gives the group of a protected person too (the robot's own output
        # leaves it out, with the address).
        resource.setdefault(
            "extension", [{"url": terms.GROUP_EXTENSION, "valueCode": "asylsokande"}]
        )
        entries.append({"resource": resource})
    entries.append({"resource": {"resourceType": "Patient", "gender": "female"}})  # refused
    bundle_path = tmp_path / "patients.json"
    bundle_path.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        encoding="utf-8",
    )
    runner = CliRunner()

    imported = runner.invoke(app, ["backlog", "import", str(bundle_path)], env=env)
    assert imported.exit_code == 2, imported.output  # one entry refused
    assert "3 tillagda" in imported.output and "Patient.birthDate" in imported.output

    summary = run_backlog(settings, RunOptions(workers=1))
    assert summary.by_status == {"done": 2, "needs_person": 1}, summary

    out, fhir_dir = tmp_path / "rapport", tmp_path / "fhir"
    reported = runner.invoke(
        app, ["backlog", "report", "--out", str(out), "--fhir", str(fhir_dir)], env=env
    )
    assert reported.exit_code == 0, reported.output
    [bundle_file] = fhir_dir.glob("korning-*.json")
    bundle = json.loads(bundle_file.read_text("utf-8"))
    parse(bundle)
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    with (out / "resultat.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = {f"item-{r['id']}": r for r in csv.DictReader(fh, delimiter=";")}
    ran = {k: r for k, r in rows.items() if r["status"] != "Ogiltig rad"}
    assert sorted(by_id) == sorted(ran) and len(by_id) == 3  # one resource per item of the run
    for rid, row in ran.items():
        resource = by_id[rid]
        if row["status"] == "Klar":
            assert resource["resourceType"] == "Patient"
            assert resource["identifier"][0]["value"] == row["patient_id"]
            check_patient(resource, region=profile.key, region_system=profile.identifier_system)
            pmo = [
                p for p in sites.records("pmo")["patients"] if p["patient_id"] == row["patient_id"]
            ]
            assert len(pmo) == 1
        else:
            assert resource["resourceType"] == "OperationOutcome"
            assert resource["issue"][0]["details"]["text"] == row["orsak"]
            assert f"Patient-ID i PMO: {row['patient_id']}" in json.dumps(
                resource, ensure_ascii=False
            )
    protected = requests[2]
    protected_text = json.dumps(bundle, ensure_ascii=False)
    assert protected.family_name not in protected_text
    assert protected.address is not None and protected.address.street not in protected_text

    audit_file = tmp_path / "granskning.json"
    exported = runner.invoke(app, ["audit", "export", "--fhir", "--out", str(audit_file)], env=env)
    assert exported.exit_code == 0, exported.output
    audit_bundle = json.loads(audit_file.read_text("utf-8"))
    db = sqlite3.connect(Path(settings.data_dir) / "audit.sqlite3")
    stored = dict(db.execute("SELECT id, hash FROM audit ORDER BY id").fetchall())
    db.close()
    assert audit_chain(audit_bundle) == stored
    verified = runner.invoke(app, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    kinds = [e["resource"]["resourceType"] for e in audit_bundle["entry"]]
    # Each of the three registrations created a number and saved a patient: two Provenances each.
    assert kinds.count("Provenance") == 6
    for request in requests:
        assert request.family_name not in audit_file.read_text("utf-8")
    assert terms.AUDIT_REF in audit_file.read_text("utf-8")
