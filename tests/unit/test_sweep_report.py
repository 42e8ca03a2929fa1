"""The sweep's report (``apps.sweep.report``) and metrics: what staff see, what machines get."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page

from apps.backlog.store import RetryPlan, WorkerIdentity, open_store
from apps.sweep.metrics import render_metrics, save_state
from apps.sweep.report import (
    PROTECTED_SV,
    protected_numbers,
    purge_expired,
    render_csv,
    render_html,
    write_report,
)
from flows.rules.model import Sex
from flows.rules.outcome import Outcome, OutcomeKind
from flows.rules.sweep import Finding, FindingKind, Record
from flows.sweep import DateResult, SweepResult
from robot.settings import Settings
from tests.backlog.helpers import make_request
from tests.fixtures.accessibility import assert_accessible

BORN = date(1931, 3, 2)
OPEN = Record("pmo", "19310302001M5", "Al-Hassan, Mohammed", Sex.MAN)
HIDDEN = Record("pmo", "193103029819", "Hemligsson, Greta", Sex.KVINNA)
FORMULA = Record("rns", "19310302002M3", "=HYPERLINK(1), Eva")


def _result() -> SweepResult:
    findings = (
        Finding(FindingKind.DUPLICATE_PMO, BORN, (OPEN, HIDDEN), "same_person"),
        Finding(FindingKind.ORPHAN_NUMBER, BORN, (FORMULA,), "no_patient"),
        Finding(FindingKind.CHECK, BORN, (OPEN, FORMULA), "similar_names"),
    )
    result = SweepResult(
        dates=[
            DateResult(BORN, covered=True, findings=findings),
            DateResult(BORN + timedelta(days=1), covered=False, reason_sv="Systemet svarade inte."),
        ]
    )
    result.finished = result.started + 60
    return result


def test_a_protected_identity_is_shown_only_as_skyddad_identitet_with_its_patient_id() -> None:
    protected = {HIDDEN.id_value}
    html = render_html(_result(), protected, period="p", retention_days=30, grace_s=300)
    csv_text = render_csv(_result(), protected)
    for text in (html, csv_text):
        assert "Hemligsson" not in text and "Greta" not in text
        assert PROTECTED_SV in text and HIDDEN.id_value in text
        assert "Al-Hassan, Mohammed" in text


def test_the_report_escapes_markup_and_formulas_and_names_the_dates_not_read() -> None:
    html = render_html(_result(), set(), period="p", retention_days=30, grace_s=300)
    csv_text = render_csv(_result(), set())
    assert "'=HYPERLINK(1), Eva" in csv_text
    assert "Ej kontrollerat" in csv_text and "1931-03-03" in csv_text
    assert "Ej kontrollerade datum" in html and "Systemet svarade inte." in html
    assert "Kontrollera (1)" in html
    assert "<script" not in render_html(
        SweepResult(
            dates=[
                DateResult(
                    BORN,
                    covered=True,
                    findings=(
                        Finding(
                            FindingKind.ORPHAN_NUMBER,
                            BORN,
                            (Record("rns", "1", "<script>x</script>, A"),),
                            "no_patient",
                        ),
                    ),
                )
            ]
        ),
        set(),
        period="p",
        retention_days=1,
        grace_s=0,
    )


def test_report_files_are_private_and_expire(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", sweep_retention_days=2)
    html, csv_path = write_report(_result(), settings, period="p", protected=set())
    for path in (html, csv_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    day = html.parent
    assert purge_expired(settings, today=date.fromisoformat(day.name) + timedelta(days=2)) == 0
    assert purge_expired(settings, today=date.fromisoformat(day.name) + timedelta(days=3)) == 1
    assert not day.exists()


def test_metrics_hold_counts_only_and_keep_the_last_complete_sweep(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    complete = _result()
    complete.dates = complete.dates[:1]
    state = save_state(settings, complete)
    text = render_metrics(state)
    assert 'reservrobot_sweep_anomalies{kind="duplicate_pmo"} 1' in text
    assert 'reservrobot_sweep_anomalies{kind="orphan_number"} 1' in text
    assert "reservrobot_sweep_checks 1" in text
    assert f"reservrobot_sweep_last_success_timestamp_seconds {complete.finished}" in text
    assert "Al-Hassan" not in text and OPEN.id_value not in text
    later = save_state(settings, _result())  # one date not read: not a success
    assert later["last_success_timestamp"] == complete.finished
    assert "reservrobot_sweep_dates_not_covered 1" in render_metrics(later)


def test_protected_numbers_are_the_patient_ids_of_queue_items_marked_protected(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert protected_numbers(settings) == set()  # no queue yet: none, and none created
    assert not (tmp_path / "data" / "queue.sqlite3").exists()
    with open_store(settings) as store:
        store.add("skyddad", make_request("1931-03-02", "Hemligsson", "Greta", protected="ja"))
        store.add("öppen", make_request("1931-03-02", "Öppensson", "Eva"))
        plan = RetryPlan(max_attempts=3, base_s=30, max_s=100)
        for number in ("19310302001k5", "19310302002K3"):
            with store.claim(WorkerIdentity.current("w1", machine="m"), plan=plan, actor="t") as c:
                kind = OutcomeKind.NEEDS_PERSON if c.request.protected else OutcomeKind.REGISTERED
                c.settle(Outcome(kind=kind, patient_id=number, reason_code="protected_identity"))
    assert protected_numbers(settings) == {"19310302001K5"}


def test_the_sweep_report_passes_axe_core(tmp_path: Path, page: Page) -> None:
    html = render_html(_result(), {HIDDEN.id_value}, period="p", retention_days=30, grace_s=300)
    report = tmp_path / "svep.html"
    report.write_text(html, encoding="utf-8")
    page.goto(report.as_uri())
    assert_accessible(page, "svepets rapport")
