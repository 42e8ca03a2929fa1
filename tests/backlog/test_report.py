"""The run report (HTML) and the result files (CSV, XLSX)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from apps.backlog.report import NoSuchRun, build_report
from apps.backlog.store import DatabaseQueueStore, ItemStatus, WorkerIdentity
from apps.backlog.store.model import RowProblem, RowRejection
from flows.rules.outcome import Candidate, Outcome, OutcomeKind
from tests.fixtures.accessibility import assert_accessible

from .helpers import make_request


def _run_with_three_outcomes(store: DatabaseQueueStore, evidence: Path) -> int:
    for ref, source, day in (
        ("R-1", "=cmd|' /C calc'!A0.csv:2", "2019-04-12"),
        ("R-2", "f.csv:3", "2018-03-04"),
        ("R-3", "f.csv:4", "2017-05-06"),
    ):
        store.add(ref, make_request(day, "Hemligsson", "Hemlig"), source=source)
    run = store.start_run(workers=1, limit=None)
    outcomes = [
        (
            Outcome(kind=OutcomeKind.REGISTERED, patient_id="20190412201K3", duration_s=1.25),
            ItemStatus.DONE,
        ),
        (
            Outcome(
                kind=OutcomeKind.NEEDS_PERSON,
                reason_code="uncertain_match_pmo",
                reason_sv="Osäker träff i PMO.",
                duration_s=0.8,
            ),
            ItemStatus.NEEDS_PERSON,
        ),
        (
            Outcome(
                kind=OutcomeKind.FAILED,
                reason_code="site_error",
                reason_sv="Tekniskt fel.",
                evidence_dir=str(evidence),
                duration_s=3.5,
            ),
            ItemStatus.FAILED,
        ),
    ]
    worker = WorkerIdentity.current("w")
    for outcome, status in outcomes:
        item = store.claim_next(worker, run_id=run)
        assert item is not None
        store.finish(item.id, outcome, status=status, attempts=1)
    store.end_run(run, exit_code=1, summary={"per_minute": 12.5})
    return run


def test_report_lists_every_item_of_the_run_with_outcome_reason_duration_and_evidence(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    evidence = tmp_path / "data" / "evidence" / "2024-01-01" / "p_abc"
    evidence.mkdir(parents=True)
    run = _run_with_three_outcomes(store, evidence)
    out = tmp_path / "rapport"
    files = build_report(store, out)
    html = files.html.read_text("utf-8")
    assert f"Körning {run}" in html
    assert "Registrerad" in html and "Osäker träff i PMO." in html and "Tekniskt fel." in html
    assert "3,5" in html and "1,2" in html  # decimal comma
    assert 'href="../data/evidence/2024-01-01/p_abc"' in html
    assert html.count("skärmbild och spår</a>") == 1  # only the failed item
    assert "finns bara på robotdatorn" in html
    assert "Hemligsson" not in html and "20190412201K3" not in html
    assert "Några misslyckades" in html
    # The outcomes of the run at a glance, with a text for screen readers.
    assert 'aria-label="Utfall: 1 klar, 1 behöver en person, 1 misslyckades"' in html
    assert stat.S_IMODE(files.html.stat().st_mode) == 0o600


def test_result_files_hold_every_item_and_escape_formula_like_values(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    _run_with_three_outcomes(store, tmp_path / "ev")
    files = build_report(store, tmp_path / "out")
    with files.csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:4] == ["id", "källa", "referens", "status"]
    assert len(rows) == 4
    assert rows[1][1].startswith("'=cmd")  # escaped: shown as text, never run
    assert rows[1][5] == "20190412201K3" and rows[1][3] == "Klar"
    assert rows[3][3] == "Misslyckades" and rows[3][6] == "Tekniskt fel."
    sheet = load_workbook(files.xlsx).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and str(cell.value).startswith("'=cmd")
    assert sheet.cell(row=2, column=6).value == "20190412201K3"
    assert stat.S_IMODE(files.xlsx.stat().st_mode) == 0o600


def test_report_of_an_empty_queue_says_so(store: DatabaseQueueStore, tmp_path: Path) -> None:
    files = build_report(store, tmp_path / "o")
    assert "Inga körningar ännu." in files.html.read_text("utf-8")


def test_report_starts_with_what_needs_a_person_now_and_what_to_do(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    _run_with_three_outcomes(store, tmp_path / "ev")
    html = build_report(store, tmp_path / "out").html.read_text("utf-8")
    needs = html.index("Behöver en person nu (1)")
    assert needs < html.index("Ogiltiga rader") < html.index("Körning ")
    assert "<strong>Att hantera</strong>" in html
    section = html[needs : html.index("Ogiltiga rader")]
    assert "f.csv:3" in section and "Osäker träff i PMO." in section


def test_report_lists_rejected_rows_with_file_row_column_and_reason(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    rejection = RowRejection(
        row=7,
        errors=[
            RowProblem(column="Födelsedatum", code="birth_date_invalid", message_sv="Fel datum."),
            RowProblem(
                column="Kön", code="sex_invalid", message_sv="Kön ska vara Man eller Kvinna."
            ),
        ],
    )
    store.add_rejected("ogiltig-1", rejection, reason_sv="Rad 7: fel", source="patienter.csv:7")
    html = build_report(store, tmp_path / "out").html.read_text("utf-8")
    section = html[html.index("Ogiltiga rader") : html.index("Ärendekön just nu")]
    assert "Ogiltiga rader i importerade filer (1 rad, 2 fel)" in section
    assert "<td>patienter.csv</td><td>7</td><td>Födelsedatum</td><td>Fel datum.</td>" in section
    assert "<td>Kön</td><td>Kön ska vara Man eller Kvinna.</td>" in section


def test_old_runs_with_only_a_reason_code_read_swedish(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    store.add("R-9", make_request("2016-02-03", "Kodsson", "Kod"), source="g.csv:2")
    run = store.start_run(workers=1, limit=None)
    item = store.claim_next(WorkerIdentity.current("w"), run_id=run)
    assert item is not None
    # An outcome from before reason texts were stored: the code only.
    store.finish(
        item.id,
        Outcome(kind=OutcomeKind.FAILED, reason_code="site_error"),
        status=ItemStatus.FAILED,
    )
    store.end_run(run, exit_code=1, summary={})
    html = build_report(store, tmp_path / "out").html.read_text("utf-8")
    rows = html[html.index(f"Körning {run}") :]
    assert "Systemet svarar inte just nu." in rows
    assert "<td>site_error</td>" not in rows


def test_report_of_a_run_that_does_not_exist_is_refused(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    _run_with_three_outcomes(store, tmp_path / "ev")
    with pytest.raises(NoSuchRun, match="Körning 99 finns inte"):
        build_report(store, tmp_path / "out", run_id=99)
    assert not (tmp_path / "out").exists()


def test_report_tells_what_changed_since_what_to_correct_what_was_retried_and_which_number(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    """Issue 24, point 13: the report's counts and rows are exact and reach the right person."""
    for ref, day in (("A", "2001-01-02"), ("B", "2002-02-03"), ("C", "2003-03-04"), ("D", "2004")):
        if day == "2004":
            store.add_rejected(
                "D",
                RowRejection(
                    row=9,
                    errors=[
                        RowProblem(column="Kön", code="sex_invalid", message_sv="Ogiltigt."),
                        RowProblem(column="Ort", code="field_invalid", message_sv="Ogiltig."),
                    ],
                    columns_filled=["sex", "city"],
                ),
                reason_sv="Ogiltig rad 9.",
                source="f.csv:9",
            )
            continue
        store.add(ref, make_request(day, "Hemligsson", "Hemlig"), source=f"f.csv:{ref}")
    run = store.start_run(workers=1, limit=None)
    worker = WorkerIdentity.current("w")
    by_ref = {}
    tried: set[str] = set()
    # A: needs a person in this run, resolved by a person afterwards.
    # B: done, but the patient existed with other Kommun/Län codes.
    # C: a person with a samordningsnummer in RNS, after one failed attempt (PMO unstable).
    failed_once = Outcome(kind=OutcomeKind.FAILED, reason_code="site_error", reason_sv="Fel.")
    samordning = Outcome(
        kind=OutcomeKind.NEEDS_PERSON,
        reason_code="has_personnummer",
        reason_sv="Personen har personnummer eller samordningsnummer.",
        candidates=[
            Candidate(
                system="rns",
                id_value="200303642383",
                id_type="samordningsnummer",
                name="Hemligsson, Hemlig",
                personnummer="200303642383",
                match="same",
                score=100,
            )
        ],
    )
    for _ in range(4):
        item = store.claim_next(worker, run_id=run)
        if item is None:
            break
        by_ref[item.ref] = item.id
        if item.ref == "A":
            store.finish(
                item.id,
                Outcome(kind=OutcomeKind.NEEDS_PERSON, reason_code="uncertain_match_pmo"),
                status=ItemStatus.NEEDS_PERSON,
                attempts=1,
            )
        elif item.ref == "B":
            store.finish(
                item.id,
                Outcome(
                    kind=OutcomeKind.ALREADY_REGISTERED,
                    patient_id="20020203201K3",
                    code_differences=["Kommun är 80, ska vara 01"],
                ),
                status=ItemStatus.DONE,
                attempts=1,
            )
        elif "C" not in tried:
            tried.add("C")
            store.finish(item.id, failed_once, status=ItemStatus.PENDING, attempts=1)
        else:
            store.finish(item.id, samordning, status=ItemStatus.NEEDS_PERSON, attempts=2)
    store.end_run(run, exit_code=1, summary={})
    store.close_by_person(by_ref["A"], reason_code="closed", reason_sv="Klart.", actor="ui:x")

    files = build_report(store, tmp_path / "rapport")
    html = files.html.read_text("utf-8")
    assert "Ogiltiga rader i importerade filer (1 rad, 2 fel)" in html
    assert "Nu: " + ItemStatus.CLOSED.label_sv in html  # A, resolved since the run
    assert "rätta koderna: Kommun är 80, ska vara 01" in html  # B reaches a person
    assert "1 ärende behövde fler försök" in html  # C's failed attempt reaches the report
    assert "200303642383" not in html  # numbers only in the result file
    with files.csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh, delimiter=";")}
    reason_c = rows[str(by_ref["C"])]["orsak"]
    assert "samordningsnummer 200303642383" in reason_c
    assert "registrera patienten med det numret" in reason_c


def test_a_number_without_a_patient_says_skapa_inget_nytt_everywhere(
    store: DatabaseQueueStore, tmp_path: Path
) -> None:
    """Issue 25, point 5: where a number exists and the patient does not, the result file and
    the report say so (the number in the private result file only)."""
    store.add("N-1", make_request("2015-05-05", "Provsson", "Nummer"), source="f.csv:2")
    run = store.start_run(workers=1, limit=None)
    item = store.claim_next(WorkerIdentity.current("w"), run_id=run)
    assert item is not None
    failed = Outcome(
        kind=OutcomeKind.FAILED,
        reason_code="site_error",
        reason_sv="PMO svarar inte just nu.",
        reservnummer="20150505-01K3",
    )
    store.finish(item.id, failed, status=ItemStatus.FAILED, attempts=3)
    store.end_run(run, exit_code=1, summary={})
    files = build_report(store, tmp_path / "rapport")
    html = files.html.read_text("utf-8")
    assert "skapa inget nytt" in html and "20150505-01K3" not in html
    with files.csv.open(encoding="utf-8-sig", newline="") as fh:
        [row] = list(csv.DictReader(fh, delimiter=";"))
    assert "Reservnummer 20150505-01K3 finns redan" in row["orsak"]
    assert "skapa inget nytt" in row["orsak"]


def test_the_report_passes_axe_core_with_every_section_filled(
    store: DatabaseQueueStore, tmp_path: Path, page: Page
) -> None:
    """The report a coordinator opens: what needs a person, rejected rows, runs, the queue."""
    _run_with_three_outcomes(store, tmp_path / "ev")
    rejection = RowRejection(
        row=7,
        errors=[
            RowProblem(column="Födelsedatum", code="birth_date_invalid", message_sv="Fel datum.")
        ],
    )
    store.add_rejected("ogiltig-1", rejection, reason_sv="Rad 7: fel", source="patienter.csv:7")
    files = build_report(store, tmp_path / "out")
    page.goto(files.html.as_uri())
    expect(page.get_by_role("heading", name="Behöver en person nu (1)")).to_be_visible()
    assert_accessible(page, "rapporten")
