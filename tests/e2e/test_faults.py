"""The robot when things go wrong: a corrupted transfer, lost sessions, server errors, latency.

A transfer that drops a character must be caught by PMO's red marker before anything is saved,
with evidence kept (but never for a protected identity, whose name and number must not reach
the logs either). Lost sessions, HTTP 500s and slow answers must still end in exactly one
reservnummer and one patient.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Route

from flows.pages.pmo_form import PmoPatientForm
from flows.rules.outcome import OutcomeKind, StepEvent
from flows.runner import Runner
from flows.transfer import BrowserTransfer, Transfer
from mock_sites.testing import MockSites
from robot.logs import configure_logging, unconfigure_logging
from robot.settings import DEFAULT_CONFIG_DIR, Settings
from tests.e2e.conftest import make_settings
from tests.e2e.people import People, patients_born, persons_born

pytestmark = pytest.mark.e2e


class DroppingTransfer(BrowserTransfer):
    """A broken copy-paste: the last character of the number gets lost."""

    def paste(self, form: PmoPatientForm, number: str) -> None:
        super().paste(form, number[:-1])


class ExpiringTransfer(BrowserTransfer):
    """Lets PMO's session time out once while the form is being filled (before "Spara")."""

    def __init__(self, sites: MockSites) -> None:
        self.sites = sites
        self.expired = 0

    def paste(self, form: PmoPatientForm, number: str) -> None:
        super().paste(form, number)
        if not self.expired:
            self.sites.advance_clock("pmo", 3600)
            self.expired += 1


class SwitchableTransfer:
    """The runner's transfer, replaceable per test (one warm browser for the module)."""

    mode = "browser"

    def __init__(self) -> None:
        self.inner: Transfer = BrowserTransfer()

    def copy(self, source: Locator | None, number: str) -> None:
        self.inner.copy(source, number)

    def paste(self, form: PmoPatientForm, number: str) -> None:
        self.inner.paste(form, number)


@pytest.fixture(scope="module")
def switch() -> SwitchableTransfer:
    return SwitchableTransfer()


@pytest.fixture(scope="module")
def robot_settings(module_sites: MockSites, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(module_sites, tmp_path_factory.mktemp("robot-faults"), max_attempts=6)


@pytest.fixture(scope="module")
def runner(robot_settings: Settings, switch: SwitchableTransfer) -> Iterator[Runner]:
    with Runner(robot_settings, transfer=switch) as warm:
        yield warm


@pytest.fixture(autouse=True)
def normal_transfer(switch: SwitchableTransfer) -> Iterator[None]:
    yield
    switch.inner = BrowserTransfer()


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_red_marker_should_stop_a_corrupted_transfer_before_saving_and_keep_evidence(
    runner: Runner, sites: MockSites, people: People, switch: SwitchableTransfer
) -> None:
    request = people.request()
    switch.inner = DroppingTransfer()

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.FAILED, outcome
    assert outcome.reason_code == "patient_id_marker"
    assert patients_born(sites, request.birth_date) == []
    assert outcome.evidence_dir is not None
    kept = _files(Path(outcome.evidence_dir))
    assert {p.suffix for p in kept} >= {".png", ".html", ".json"}  # screen, page, step log
    assert all(os.stat(p).st_mode & 0o077 == 0 for p in kept)
    [created] = persons_born(sites, request.birth_date)

    # The rerun with a working transfer uses the journaled number: no second reservnummer.
    switch.inner = BrowserTransfer()
    rerun = runner.register(request)

    assert rerun.kind is OutcomeKind.REGISTERED, rerun
    assert rerun.patient_id == created["id_value"]
    assert len(persons_born(sites, request.birth_date)) == 1
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
        created["id_value"]
    ]


def test_verify_should_fail_with_evidence_when_pmo_stores_something_else(
    runner: Runner, sites: MockSites, people: People
) -> None:
    request = people.request()
    context = runner.session.context("pmo")

    def garble(route: Route) -> None:
        # Something between the robot and PMO changes the city on its way to the server.
        body = (route.request.post_data or "").replace("city=G%C3%A4vle", "city=G%C3%A4vla")
        route.continue_(post_data=body)

    context.route("**/registrera", garble)
    try:
        outcome = runner.register(request)
    finally:
        context.unroute("**/registrera", garble)

    assert outcome.kind is OutcomeKind.FAILED, outcome
    assert outcome.reason_code == "verification_failed"
    assert "Ort" in (outcome.reason_sv or "")
    assert outcome.evidence_dir and _files(Path(outcome.evidence_dir))
    [patient] = patients_born(sites, request.birth_date)
    assert patient["city"] == "Gävla"  # saved once, not again and again


def test_protected_identity_should_leave_no_evidence_and_no_name_or_number_in_logs(
    runner: Runner,
    robot_settings: Settings,
    sites: MockSites,
    people: People,
    switch: SwitchableTransfer,
    capfd: pytest.CaptureFixture[str],
) -> None:
    request = people.request(protected=True, family_name="Skyddadsson", given_names="Hemlig")
    evidence_before = _files(robot_settings.evidence_path)
    configure_logging(robot_settings, json=True)
    try:
        switch.inner = DroppingTransfer()
        failed = runner.register(request)
        switch.inner = BrowserTransfer()
        done = runner.register(request)
    finally:
        unconfigure_logging()
    logs = capfd.readouterr().err

    assert failed.kind is OutcomeKind.FAILED and failed.evidence_dir is None
    assert _files(robot_settings.evidence_path) == evidence_before
    assert done.kind is OutcomeKind.NEEDS_PERSON and done.reason_code == "protected_identity"
    assert done.patient_id
    assert "step_done" in logs  # the steps were logged ...
    for secret in ("Skyddadsson", "Hemlig", done.patient_id, request.birth_date.isoformat()):
        assert secret not in logs  # ... without the person


def test_register_should_log_in_again_when_sessions_expire_mid_flow(
    runner: Runner, sites: MockSites, people: People
) -> None:
    sites.set_faults("pmo", session_timeout_s=600)
    sites.set_faults("rns", session_timeout_s=600)
    request = people.request()

    def expire(event: StepEvent) -> None:
        # While the robot works in one system, the other one's session runs out.
        if event.status == "started" and event.step == "search_rns":
            sites.advance_clock("pmo", 3600)
        if event.status == "started" and event.step == "register_pmo":
            sites.advance_clock("rns", 3600)

    outcome = runner.register(request, on_step=expire)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert len(persons_born(sites, request.birth_date)) == 1
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
        outcome.patient_id
    ]


def test_register_should_redo_a_save_lost_to_session_expiry_exactly_once(
    runner: Runner, sites: MockSites, people: People, switch: SwitchableTransfer
) -> None:
    sites.set_faults("pmo", session_timeout_s=600)
    switch.inner = expiring = ExpiringTransfer(sites)
    request = people.request()

    outcome = runner.register(request)

    assert expiring.expired == 1
    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
        outcome.patient_id
    ]


def test_register_should_survive_server_errors_without_duplicates(
    runner: Runner, sites: MockSites, people: People, caplog: pytest.LogCaptureFixture
) -> None:
    sites.set_faults("pmo", error_rate=0.15, seed=11)
    sites.set_faults("rns", error_rate=0.15, seed=12)
    requests = [people.request() for _ in range(3)]

    outcomes = [runner.register(r) for r in requests]

    assert [o.kind for o in outcomes] == [OutcomeKind.REGISTERED] * 3, outcomes
    retried = [r for r in caplog.records if r.getMessage() == "step attempt failed"]
    assert retried, "no server error was met: the fault injection did not work"
    for request, outcome in zip(requests, outcomes, strict=True):
        assert [p["id_value"] for p in persons_born(sites, request.birth_date)] == [
            outcome.patient_id
        ]
        assert [p["patient_id"] for p in patients_born(sites, request.birth_date)] == [
            outcome.patient_id
        ]


def test_register_should_work_with_slow_sites(
    runner: Runner, sites: MockSites, people: People
) -> None:
    sites.set_faults("pmo", latency_ms=150)
    sites.set_faults("rns", latency_ms=150)
    request = people.request()

    outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.REGISTERED, outcome
    assert outcome.duration_s > 8 * 0.15  # every page answered late
    assert len(patients_born(sites, request.birth_date)) == 1


def test_a_drifted_registration_form_stops_the_request_before_any_number_is_created(
    sites: MockSites, people: People, tmp_path: Path
) -> None:
    """Issue 25, point 5: PMO's empty form is checked (its fields and its Spara button) before
    RNS "Skapa": a form that changed leaves nothing created, not a number without a patient."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    selectors = config / "selectors" / "pmo_a.toml"
    text = selectors.read_text("utf-8")
    drifted = text.replace(
        'save = { role = "button", name = "Spara" }',
        'save = { role = "button", name = "Spara patient" }',
    )
    assert drifted != text
    selectors.write_text(drifted, "utf-8")
    settings = make_settings(
        sites, tmp_path / "robot", config_dir=config, max_attempts=1, backoff_base_s=0
    )
    request = people.request()
    with Runner(settings) as runner:
        outcome = runner.register(request)

    assert outcome.kind is OutcomeKind.FAILED, outcome
    assert "Spara" in (outcome.reason_sv or "")
    assert persons_born(sites, request.birth_date) == []  # no reservnummer left behind
    assert patients_born(sites, request.birth_date) == []
    assert not outcome.reservnummer
