"""FHIR in the backlog: importing a Bundle of Patients, and one Bundle per run in the report.

Import: every entry ends in one reported state (queued, or refused with its FHIR path and a
Swedish reason), a file that cannot be taken queues nothing. Report: one resource per item of
the run, saying what ``resultat.csv`` says.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apps.backlog.importer import Importer
from apps.backlog.reader import UnreadableFile
from apps.backlog.report import build_report
from apps.backlog.report_fhir import write_fhir_bundles
from apps.backlog.store import DatabaseQueueStore, ItemStatus, WorkerIdentity
from apps.cli.main import app
from apps.fhir import terms
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.region import load_region_profile
from robot.settings import Settings
from tests.fhir_checks import parse

from .helpers import make_request


def patient(family: str, given: str, birth: str, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "extension": [{"url": terms.GROUP_EXTENSION, "valueCode": "asylsokande"}],
        "name": [{"family": family, "given": given.split()}],
        "gender": "female",
        "birthDate": birth,
        "address": [
            {"line": ["Testgatan 1"], "postalCode": "80320", "city": "Gävle", "country": "SE"}
        ],
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def write_bundle(path: Path, resources: list[Any]) -> Path:
    entries = [{"resource": r} for r in resources]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return path


def test_import_should_queue_good_entries_and_refuse_each_bad_one_with_its_fhir_path(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    twice = json.dumps(patient("Tvåsson", "Tove", "2015-02-03")).replace(
        '"birthDate": "2015-02-03"', '"birthDate": "2015-02-03", "birthDate": "2016-02-03"'
    )
    resources: list[Any] = [
        patient("Ek", "Eva", "2019-04-12"),
        {"resourceType": "Observation", "status": "final"},
        patient("Utandatum", "Ulla", "2018-01-02", birthDate=None),
        "TWICE",
        patient("Okänd", "Olle", "2017-03-04", gender="x"),
        patient("Berg", "Per", "2016-05-06", gender="male"),
    ]
    path = write_bundle(tmp_path / "patienter.json", resources)
    path.write_text(path.read_text().replace('"TWICE"', twice))

    report = importer.import_file(path)

    assert (report.kind, report.added, report.rejected) == ("fhir", 2, 4)
    assert [(r.row, r.outcome) for r in report.rows] == [
        (1, "added"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "added"),
    ]
    assert [(e.row, e.column, e.code) for e in report.errors] == [
        (2, "Bundle.entry[1].resource.resourceType", "fhir_not_patient"),
        (3, "Patient.birthDate", "field_required"),
        (4, "Patient.birthDate", "fhir_field_twice"),
        (5, "Patient.gender", "fhir_code_unknown"),
    ]
    messages = [e.message_sv for e in report.errors]
    for words, message in zip(
        ("Bara Patient tas emot", "måste fyllas i", "två gånger", "Okänd kod för kön"),
        messages,
        strict=True,
    ):
        assert words in message
    # Nothing lost: every entry is one item, refused ones kept as rejected with their reasons.
    items = store.items()
    assert len(items) == 6
    assert sorted(i.status for i in items).count(ItemStatus.REJECTED) == 4
    rejected = {i.source: i for i in items if i.status is ItemStatus.REJECTED}
    assert rejected["patienter.json:3"].rejection is not None
    assert rejected["patienter.json:3"].rejection.errors[0].column == "Patient.birthDate"
    # Names of refused entries are not kept (only which fields were filled, and the reasons).
    stored = json.dumps([i.rejection.model_dump() for i in rejected.values() if i.rejection])
    assert "Tvåsson" not in stored and "Okänd" not in stored

    again = importer.import_file(path)
    assert (again.added, again.duplicates) == (0, 2)
    assert len(store.items()) == 6


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"resourceType": "Bundle", "type": "collection", "entry": []}', "inga poster"),
        ("födelsedatum;kön\n2019-04-12;K\n", "inte giltig JSON"),
        (None, "10001 poster"),
    ],
    ids=["empty-bundle", "not-json", "too-many"],
)
def test_a_file_that_cannot_be_taken_should_queue_nothing(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "patienter.json"
    if content is None:
        good = [patient("Ek", "Eva", "2019-04-12")] * 10_001
        write_bundle(path, good)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableFile) as err:
        importer.import_file(path)
    assert words in err.value.message
    assert store.items() == []


def test_cli_import_of_a_bundle_should_print_each_refusal_and_exit_2(
    tmp_path: Path,
) -> None:
    path = write_bundle(
        tmp_path / "patienter.json",
        [patient("Ek", "Eva", "2019-04-12"), patient("Berg", "Per", "2018-01-02", gender="other")],
    )
    env = {
        "RESERVROBOT_DATA_DIR": str(tmp_path / "data"),
        "RESERVROBOT_PSEUDONYM_KEY": "cli-test-key",
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, ["backlog", "import", str(path)], env=env)
    assert result.exit_code == 2, result.output
    assert "Patient.gender" in result.output and "man (male) eller kvinna" in result.output
    assert "1 tillagda" in result.output and "1 ogiltiga" in result.output


def test_report_should_write_one_bundle_per_run_matching_resultat_csv(
    settings: Settings, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    store.add("R-1", make_request("2019-04-12", "Ek", "Eva"), source="f.json:1")
    store.add("R-2", make_request("2018-03-04", "Berg", "Per"), source="f.json:2")
    store.add(
        "R-3",
        make_request("2017-05-06", "Hemligsson", "Hemlig", protected="ja"),
        source="f.json:3",
    )
    store.add("R-4", make_request("2016-07-08", "Sist", "Sara"), source="f.json:4")
    run = store.start_run(workers=1, limit=None)
    worker = WorkerIdentity.current("w")
    for outcome, status in [
        (Outcome(kind=OutcomeKind.REGISTERED, patient_id="20190412-01K3"), ItemStatus.DONE),
        (
            Outcome(kind=OutcomeKind.FAILED, reason_code="site_error", reason_sv="Tekniskt fel."),
            ItemStatus.FAILED,
        ),
        (
            Outcome(
                kind=OutcomeKind.NEEDS_PERSON,
                patient_id="20170506-01K5",
                reason_code="protected_identity",
                reason_sv="Skyddade personuppgifter: en person fortsätter.",
            ),
            ItemStatus.NEEDS_PERSON,
        ),
    ]:
        item = store.claim_next(worker, run_id=run)
        assert item is not None
        store.finish(item.id, outcome, status=status, attempts=1)
    store.end_run(run, exit_code=2, summary={})
    profile = load_region_profile(settings.config_dir, settings.region)

    [path] = write_fhir_bundles(store, tmp_path / "fhir", store.runs(), profile)
    files = build_report(store, tmp_path / "rapport")

    assert path.name == f"korning-{run}.json" and path.stat().st_mode & 0o077 == 0
    bundle = json.loads(path.read_text("utf-8"))
    parse(bundle)
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["value"] == str(run)
    by_id = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    with files.csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = {int(r["id"]): r for r in csv.DictReader(fh, delimiter=";")}
    # One resource per item of the run (item 4 was not taken), each as resultat.csv says.
    assert sorted(by_id) == ["item-1", "item-2", "item-3"]
    for item_id, row in rows.items():
        resource = by_id.get(f"item-{item_id}")
        if resource is None:
            assert row["status"] == "Väntar"
            continue
        if row["status"] == "Klar":
            assert resource["resourceType"] == "Patient"
            assert resource["identifier"][0]["value"] == row["patient_id"]
        else:
            assert resource["resourceType"] == "OperationOutcome"
            issue = resource["issue"][0]
            assert issue["details"]["text"] == row["orsak"]
            texts = " ".join(i["details"]["text"] for i in resource["issue"])
            assert (row["patient_id"] in texts) if row["patient_id"] else True
    # The protected person's entry: nothing beyond what the routine keeps.
    protected = json.dumps(by_id["item-3"], ensure_ascii=False)
    assert "Hemligsson" not in protected and "Testgatan" not in protected


def test_an_entry_should_be_refused_with_every_problem_at_once(
    importer: Importer, tmp_path: Path
) -> None:
    entry = patient("Berg", "Per", "2018-01-02", gender="other", extension=None)
    report = importer.import_file(write_bundle(tmp_path / "en.json", [entry]))
    assert [(e.column, e.code) for e in report.errors] == [
        ("Patient.gender", "sex_invalid"),
        (f"Patient.extension('{terms.GROUP_EXTENSION}')", "field_required"),
    ]
