"""Import and references: every row ends in exactly one reported state, and in resultat.csv."""

from __future__ import annotations

import csv
from pathlib import Path

from apps.backlog.importer import Importer
from apps.backlog.report import KIND_SV, build_report
from apps.backlog.store import DatabaseQueueStore, ItemStatus, WorkerIdentity
from flows.rules.outcome import Outcome, OutcomeKind

HEADER = "födelsedatum;kön;efternamn;förnamn;patientgrupp;utdelningsadress;postnummer;ort;referens"
EVA = "2019-04-12;K;Ek;Eva;asylsokande;Gatan 1;803 20;Gävle;MOTT-1"
PER = "2018-01-02;M;Berg;Per;asylsokande;Gatan 2;803 20;Gävle;MOTT-1"


def write(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")
    return path


def result_rows(store: DatabaseQueueStore, out: Path) -> list[dict[str, str]]:
    files = build_report(store, out)
    with files.csv.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def finish(store: DatabaseQueueStore, outcome: Outcome, status: ItemStatus) -> int:
    item = store.claim_next(WorkerIdentity.current("w"))
    assert item is not None
    store.finish(item.id, outcome, status=status)
    return item.id


def test_a_reference_taken_by_another_persons_case_is_refused_with_its_reason(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    importer.import_file(write(tmp_path / "a.csv", EVA))
    finish(store, Outcome(kind=OutcomeKind.REGISTERED, patient_id="20190412201K3"), ItemStatus.DONE)
    report = importer.import_file(write(tmp_path / "b.csv", PER))
    assert (report.added, report.rejected) == (0, 1)
    [row] = report.rows
    [error] = report.errors
    assert row.outcome == "conflict" and error.code == "ref_taken"
    assert "Referensen MOTT-1 finns redan i kön för en annan person" in error.message_sv
    eva = store.find("MOTT-1")
    assert eva is not None and eva.status is ItemStatus.DONE and eva.request is not None
    assert eva.request.given_names == "Eva"
    results = result_rows(store, tmp_path / "out")
    assert [r["status"] for r in results] == ["Klar", "Ogiltig rad"]
    assert results[1]["källa"] == "b.csv:2" and "annan person" in results[1]["orsak"]
    again = importer.import_file(write(tmp_path / "b.csv", PER))
    assert [r.outcome for r in again.rows] == ["conflict"] and len(store.items()) == 2


def test_a_changed_row_replaces_a_waiting_item_and_the_change_is_reported(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    first = importer.import_file(write(tmp_path / "a.csv", EVA))
    changed = EVA.replace("Gatan 1", "Nygatan 7").replace(";Eva;", ";Eva Lisa;")
    report = importer.import_file(write(tmp_path / "b.csv", changed))
    [row] = report.rows
    assert row.outcome == "replaced" and row.item_id == first.rows[0].item_id
    assert set(row.changes) == {"förnamn", "utdelningsadress"}
    assert any("ersatte det väntande ärendet" in w for w in report.warnings)
    [item] = store.items()
    assert item.request is not None and item.request.given_names == "Eva Lisa"
    assert item.source == "b.csv:2"


def test_a_reimport_never_reopens_a_case_closed_by_a_person_or_done(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    importer.import_file(write(tmp_path / "a.csv", EVA, PER.replace("MOTT-1", "MOTT-2")))
    needs = Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo")
    closed_id = finish(store, needs, ItemStatus.NEEDS_PERSON)
    store.close_by_person(
        closed_id, reason_code="cancelled_by_person", reason_sv="Avbrutet.", actor="ui:anna"
    )
    finish(store, Outcome(kind=OutcomeKind.REGISTERED), ItemStatus.DONE)
    report = importer.import_file(write(tmp_path / "a.csv", EVA, PER.replace("MOTT-1", "MOTT-2")))
    assert [r.outcome for r in report.rows] == ["handled", "handled"]
    counts = store.counts()
    assert counts[ItemStatus.CLOSED] == 1 and counts[ItemStatus.DONE] == 1
    assert counts[ItemStatus.PENDING] == 0 and counts[ItemStatus.REJECTED] == 0
    results = result_rows(store, tmp_path / "out")
    assert [(r["status"], r["utfall"]) for r in results] == [
        ("Hanterad av en person", "Hanterad av en person"),
        ("Klar", KIND_SV["registered"]),
    ]
    assert KIND_SV["closed"] == ItemStatus.CLOSED.label_sv != KIND_SV["rejected"]


def test_an_invalid_row_whose_reference_is_queued_still_appears_in_the_results(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    importer.import_file(write(tmp_path / "a.csv", EVA))
    report = importer.import_file(
        write(tmp_path / "b.csv", EVA.replace("2019-04-12", "2019-02-30"))
    )
    assert [r.outcome for r in report.rows] == ["rejected"]
    assert len(store.items()) == 2
    eva = store.find("MOTT-1")
    assert eva is not None and eva.status is ItemStatus.PENDING
    results = result_rows(store, tmp_path / "out")
    assert [r["status"] for r in results] == ["Väntar", "Ogiltig rad"]
    assert results[1]["källa"] == "b.csv:2"


def test_a_reference_waiting_for_another_person_is_refused_never_replaced(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    first = importer.import_file(write(tmp_path / "a.csv", EVA))
    report = importer.import_file(write(tmp_path / "b.csv", PER))  # same MOTT-1, another person
    [row] = report.rows
    [error] = report.errors
    assert (row.outcome, error.code) == ("conflict", "ref_other_person")
    assert "Referensen används redan för en annan person" in error.message_sv
    eva = store.find("MOTT-1")
    assert eva is not None and eva.id == first.rows[0].item_id
    assert eva.status is ItemStatus.PENDING and eva.request is not None
    assert (eva.request.given_names, eva.source) == ("Eva", "a.csv:2")


def test_a_spelling_fix_of_the_waiting_person_still_replaces_it(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    importer.import_file(write(tmp_path / "a.csv", EVA))
    report = importer.import_file(write(tmp_path / "b.csv", EVA.replace(";Ek;", ";Eek;")))
    assert [r.outcome for r in report.rows] == ["replaced"]


def test_two_rows_of_one_file_giving_one_reference_to_two_persons_are_both_refused(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    report = importer.import_file(write(tmp_path / "a.csv", EVA, PER))
    assert [r.outcome for r in report.rows] == ["conflict", "conflict"]
    assert {e.code for e in report.errors} == {"ref_other_person"}
    said = "Referensen används redan för en annan person"
    assert all(said in e.message_sv for e in report.errors)
    assert report.added == 0
    assert store.find("MOTT-1") is None  # neither person was queued under it
    results = result_rows(store, tmp_path / "out")
    assert sorted(r["källa"] for r in results) == ["a.csv:2", "a.csv:3"]
    assert {r["status"] for r in results} == {"Ogiltig rad"}


def test_every_row_of_a_file_has_its_own_line_in_resultat_csv(
    importer: Importer, store: DatabaseQueueStore, tmp_path: Path
) -> None:
    other = PER.replace("MOTT-1", "MOTT-2")
    # Eva twice (one case), Per, an invalid row; then the same file imported again.
    path = write(tmp_path / "a.csv", EVA, EVA, other, "2019-13-45;K;X;Y;asylsokande;;;;")
    importer.import_file(path)
    importer.import_file(path)
    results = result_rows(store, tmp_path / "out")
    assert [r["källa"] for r in results] == ["a.csv:2", "a.csv:3", "a.csv:4", "a.csv:5"]
    assert results[0]["id"] == results[1]["id"]  # one case, two rows, two lines
