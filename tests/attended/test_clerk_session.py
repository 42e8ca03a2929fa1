"""Attended work as the clerk, with real parts: the app starts the robot's headed Chromium under
Xvfb, the clerk signs in by typing into the robot's window (xdotool, real X key events), and the
robot registers in the clerk's session.

One module-scoped scenario (the artefact scan's pattern: run everything once, then assert):

1. The app starts as ``reservrobot ui`` starts it (attended sign-in, the default): the robot's
   window shows PMO's and Reservnummersystemet's login pages and the app says what to do.
2. The clerk (Karin, ``clerk1``) signs in to both by typing; a registration through the app
   follows. PMO's and RNS's own logs must name ``clerk1``; the audit entry names her account as
   a keyed hash next to the OS user.
3. A second registration whose PMO session ends right after the reservnummer was created (the
   mock's clock is moved past its idle timeout at that step): the registration waits with
   "Väntar på att du loggar in igen i PMO", the clerk signs in again, as another account
   (``clerk2``, so the change must be noticed), and it completes: one number, one patient.
4. A third registration meets the login page the same way; the clerk types there but has not
   signed in when the app is closed: the registration fails, and its evidence must keep no
   page that shows a login page.
5. Both passwords are then searched for in every file the robot and the app wrote (data folder,
   logs, audit and journal databases, the browser's own profile and Playwright's folders in the
   system temp folder while the browser ran) and in every log line.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from apps.ui.app import create_app, default_runner_factory
from apps.ui.server import serve_in_thread
from flows.attended import AccountChange, SignInBoard
from flows.rules.outcome import Decision, Outcome, StepEvent
from flows.rules.request import RegistrationRequest
from flows.runner import Runner
from mock_sites.common.config import DEMO_USER, User
from mock_sites.common.faults import FaultSettings
from mock_sites.testing import MockSites, run_mock_sites
from robot.audit import AuditEntry, AuditLog
from robot.logs import configure_logging, unconfigure_logging
from robot.settings import Settings
from tests.attended.conftest import Clerk, wait_until
from tests.ui.forms import REGISTERED, expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import Person, new_person

pytestmark = [pytest.mark.e2e, pytest.mark.xvfb]

IDLE_TIMEOUT_S = 600.0
TMP_PREFIXES = ("playwright", ".org.chromium", "chromium")

# Called in the robot's thread at every step event of a registration (see HookedRunner).
_STEP_HOOK: list[Callable[[MockSites, StepEvent], None]] = []


class HookedRunner(Runner):
    """The real Runner, letting the scenario act at the exact step (the idle timeout)."""

    sites: MockSites | None = None

    def register(
        self,
        request: RegistrationRequest,
        *,
        decisions: Sequence[Decision] = (),
        on_step: Callable[[StepEvent], None] | None = None,
        dry_run: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> Outcome:
        def both(event: StepEvent) -> None:
            if _STEP_HOOK and HookedRunner.sites is not None:
                _STEP_HOOK[0](HookedRunner.sites, event)
            if on_step is not None:
                on_step(event)

        return super().register(
            request, decisions=decisions, on_step=both, dry_run=dry_run, should_stop=should_stop
        )


@dataclass
class Scenario:
    passwords: list[str]
    settings: Settings
    first: Person
    second: Person
    third: Person
    notice_at_start: str = ""
    notice_while_expired: str = ""
    steps_while_expired: list[dict[str, Any]] = field(default_factory=list)
    accounts_after_sign_in: dict[str, str] = field(default_factory=dict)
    changes: list[AccountChange] = field(default_factory=list)
    patients: list[dict[str, Any]] = field(default_factory=list)
    persons: list[dict[str, Any]] = field(default_factory=list)
    second_steps: list[str] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    pseudonym: Callable[[str], str] = str
    blobs: list[tuple[str, bytes]] = field(default_factory=list)
    log_lines: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)


def _contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """A file's bytes, and each member's when it is a zip (a trace)."""
    try:
        data = path.read_bytes()
    except OSError:
        return
    yield str(path), data
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path}!{name}", archive.read(name)
        except zipfile.BadZipFile:
            return


def _files(root: Path) -> Iterator[Path]:
    candidates = [root] if root.is_file() else sorted(root.rglob("*"))
    for path in candidates:
        try:
            if path.is_file() and not path.is_symlink() and os.access(path, os.R_OK):
                yield path
        except OSError:
            continue


def _register(browser: Browser, url: str, person: Person) -> Page:
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    fill_registration(page, person)
    submit_registration(page)
    return page


@pytest.fixture(scope="module")
def scenario(
    clerk: Clerk, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    work = tmp_path_factory.mktemp("attended")
    p1, p2 = ("Kx-" + secrets.token_hex(8) for _ in range(2))
    users = (
        DEMO_USER,
        User("clerk1", p1, "Karin Handläggare"),
        User("clerk2", p2, "Kalle Handläggare"),
    )
    system_tmp = Path(tempfile.gettempdir())
    tmp_before = set(os.listdir(system_tmp))
    faults = {"pmo": FaultSettings(session_timeout_s=IDLE_TIMEOUT_S)}
    with run_mock_sites(work / "mock", users=users, faults=faults) as sites:
        settings = Settings(
            pmo_url=sites.pmo_url,
            rns_url=sites.rns_url,
            plexus_url=sites.plexus_url,
            data_dir=work / "data",
            headless=False,  # what ``reservrobot ui`` sets for the clerk's sign-in
            ui_sign_in="clerk",
            transfer_mode="browser",
            pseudonym_key=SecretStr("attended-test-key"),
        )
        scenario = Scenario(
            passwords=[p1, p2],
            settings=settings,
            first=new_person(sites),
            second=new_person(sites),
            third=new_person(sites),
        )
        HookedRunner.sites = sites
        board = SignInBoard()
        token = secrets.token_urlsafe(24)
        configure_logging(settings, json=True, to_file=True)
        try:
            started = time.perf_counter()
            app = create_app(
                settings,
                token=token,
                runner_factory=default_runner_factory(
                    settings, clerk=board, runner_class=HookedRunner
                ),
                clerk=board,
                warm_up=True,
                user="karin",
            )
            with serve_in_thread(app, token=token) as running:
                # 1. Both login pages in the robot's window; the app says what to do.
                wait_until(lambda: board.waiting_for() == ["pmo", "rns"], "both login pages")
                scenario.timings_s["login_pages_shown"] = time.perf_counter() - started
                scenario.notice_at_start = board.notice_sv()
                app_page = browser.new_context(locale="sv-SE").new_page()
                app_page.goto(running.url_with_token)
                expect(app_page.locator("#sign-in-notice")).to_have_text(scenario.notice_at_start)
                # 2. The clerk signs in to both by typing; then a registration.
                clerk.sign_in("PMO", "clerk1", p1)
                clerk.sign_in("Reservnummersystemet", "clerk1", p1)
                wait_until(lambda: not board.waiting_for(), "the robot sees both sign-ins")
                scenario.timings_s["signed_in"] = time.perf_counter() - started
                scenario.accounts_after_sign_in = board.accounts()
                expect(app_page.locator("#sign-in-notice")).to_be_hidden()  # kept current
                app_page.context.close()
                page = _register(browser, running.url_with_token, scenario.first)
                expect_outcome(page, REGISTERED)
                scenario.timings_s["first_registration_done"] = time.perf_counter() - started
                first = app.state.ui.jobs.get(page.url.rsplit("/", 1)[-1])
                if first is not None and first.outcome is not None:
                    scenario.timings_s["robot_part_of_first"] = first.outcome.duration_s
                page.context.close()

                # 3. PMO's session ends right after the reservnummer was created.
                def expire_pmo(mock: MockSites, event: StepEvent) -> None:
                    if event.step == "create_rns" and event.status == "done":
                        mock.advance_clock("pmo", IDLE_TIMEOUT_S + 60)

                _STEP_HOOK.append(expire_pmo)
                page = _register(browser, running.url_with_token, scenario.second)
                wait_until(lambda: board.waiting_for() == ["pmo"], "the wait for a new sign-in")
                scenario.notice_while_expired = board.notice_sv()
                job = app.state.ui.jobs.get(page.url.rsplit("/", 1)[-1])
                assert job is not None
                scenario.steps_while_expired = [
                    s.model_dump() for s in app.state.ui.jobs.steps(job)
                ]
                # The clerk's page says it too: the step, and what to do.
                expect(
                    page.locator("#steps").get_by_text(
                        "Väntar på att du loggar in igen i PMO", exact=True
                    )
                ).to_be_visible()
                expect(page.locator("#sign-in-notice")).to_contain_text(
                    "Logga in i PMO i robotens fönster."
                )
                clerk.sign_in("PMO", "clerk2", p2)
                expect_outcome(page, REGISTERED)
                scenario.second_steps = [s.step for s in (job.outcome.steps if job.outcome else [])]
                page.context.close()
                # 4. Again; the clerk types but the app is closed before the sign-in is sent.
                page = _register(browser, running.url_with_token, scenario.third)
                wait_until(lambda: board.waiting_for() == ["pmo"], "the third wait")
                clerk.sign_in("PMO", "clerk2", p2, submit=False)
                page.context.close()
                _STEP_HOOK.clear()
                # 5a. While the browser runs: its profile and Playwright's folders.
                new_tmp = [
                    system_tmp / n
                    for n in sorted(set(os.listdir(system_tmp)) - tmp_before)
                    if n.startswith(TMP_PREFIXES)
                ]
                for entry in new_tmp:
                    for path in _files(entry):
                        scenario.blobs.extend(_contents(path))
                scenario.changes = board.changes()
        finally:
            unconfigure_logging()
            HookedRunner.sites = None
            _STEP_HOOK.clear()
        scenario.patients = sites.records("pmo")["patients"]
        scenario.persons = sites.records("rns")["persons"]
    # 5b. After the app stopped: everything in its data folder (logs, audit, journal, queue).
    for path in _files(settings.data_dir):
        scenario.blobs.extend(_contents(path))
    log_file = settings.data_dir / "logs" / "reservrobot.jsonl"
    scenario.log_lines = log_file.read_text(encoding="utf-8").splitlines()
    with AuditLog(settings) as audit:
        scenario.audit = audit.recent(500)
        scenario.pseudonym = audit.pseudonym
    print(f"\nattended timings (s): { {k: round(v, 2) for k, v in scenario.timings_s.items()} }")
    yield scenario


def _patients_of(scenario: Scenario, person: Person) -> list[dict[str, Any]]:
    born = f"{person.birth_date:%Y%m%d}"
    return [
        p
        for p in scenario.patients
        if p["family_name"] == person.family_name and p["patient_id"].startswith(born)
    ]


def _numbers_of(scenario: Scenario, person: Person) -> list[dict[str, Any]]:
    return [
        p
        for p in scenario.persons
        if p["family_name"] == person.family_name
        and p["birth_date"] == person.birth_date.isoformat()
        and p["id_type"] == "Reservnummer"
    ]


def test_the_app_should_show_the_login_pages_and_say_what_to_do(scenario: Scenario) -> None:
    assert scenario.notice_at_start.startswith(
        "Logga in i PMO och Reservnummersystemet i robotens fönster."
    )
    assert scenario.accounts_after_sign_in == {"pmo": "clerk1", "rns": "clerk1"}


def test_the_systems_should_log_the_clerk_who_signed_in(scenario: Scenario) -> None:
    (patient,) = _patients_of(scenario, scenario.first)
    (number,) = _numbers_of(scenario, scenario.first)
    assert (patient["created_by"], patient["changed_by"]) == ("clerk1", "clerk1")
    assert (number["created_by"], number["changed_by"]) == ("clerk1", "clerk1")
    assert patient["patient_id"] == number["id_value"]


def test_the_audit_log_should_name_the_clerks_account_next_to_the_os_user(
    scenario: Scenario,
) -> None:
    pmo, rns = (scenario.pseudonym(f"{s}:clerk1") for s in ("pmo", "rns"))
    (patient,) = _patients_of(scenario, scenario.first)
    subject = scenario.pseudonym(patient["patient_id"])
    (outcome,) = [e for e in scenario.audit if e.step == "outcome" and e.subject == subject]
    assert outcome.actor == f"ui:karin konto:pmo={pmo},rns={rns}"
    creates = [e for e in scenario.audit if e.step == "create_rns" and e.ref == outcome.ref]
    assert [e.actor for e in creates] == [outcome.actor]
    assert "clerk1" not in outcome.actor


def test_an_expired_session_should_wait_for_the_clerk_and_then_complete_once(
    scenario: Scenario,
) -> None:
    assert scenario.notice_while_expired.startswith("Logga in i PMO i robotens fönster.")
    waiting = [s for s in scenario.steps_while_expired if s["step"] == "sign_in_pmo"]
    assert [(s["label_sv"], s["status"]) for s in waiting] == [
        ("Väntar på att du loggar in igen i PMO", "started")
    ]
    assert "sign_in_pmo" in scenario.second_steps
    patients = _patients_of(scenario, scenario.second)
    numbers = _numbers_of(scenario, scenario.second)
    assert len(patients) == 1 and len(numbers) == 1
    assert patients[0]["patient_id"] == numbers[0]["id_value"]
    # The number was created in clerk1's session, the patient saved in clerk2's.
    assert numbers[0]["created_by"] == "clerk1"
    assert patients[0]["created_by"] == "clerk2"


def test_a_clerk_signing_in_as_another_account_should_be_noticed_and_recorded(
    scenario: Scenario,
) -> None:
    assert scenario.changes == [AccountChange("pmo", "clerk1", "clerk2")]
    old, new = (scenario.pseudonym(f"pmo:{a}") for a in ("clerk1", "clerk2"))
    changed = [e for e in scenario.audit if e.result == "account_changed"]
    assert [(e.system, e.detail, e.actor) for e in changed] == [
        ("pmo", f"from={old}; to={new}", "ui:karin")
    ]


def test_the_clerks_passwords_should_be_in_no_file_and_no_log_line(scenario: Scenario) -> None:
    assert len(scenario.blobs) > 20  # the browser profile, logs and databases were read
    assert any("reservrobot.jsonl" in where for where, _ in scenario.blobs)
    assert len(scenario.log_lines) > 10
    for password in scenario.passwords:
        needle = password.encode()
        assert [where for where, data in scenario.blobs if needle in data] == []
        assert [line for line in scenario.log_lines if password in line] == []


def test_a_failure_at_a_login_page_keeps_no_evidence_of_that_page(scenario: Scenario) -> None:
    evidence = scenario.settings.evidence_path
    summaries = [json.loads(p.read_text("utf-8")) for p in evidence.rglob("steps.json")]
    assert len(summaries) == 1  # the third registration, stopped while waiting for the clerk
    (summary,) = summaries
    assert summary["error"]["code"] == "sign_in_cancelled"
    pages = summary["pages"]
    skipped = [p for p in pages if p.get("skipped") == "login"]
    kept = [p for p in pages if "skipped" not in p]
    assert len(skipped) == 1  # PMO's login page, where the clerk had typed
    assert all(not p["path"].startswith("/login") for p in kept)
    files = {p.name for p in evidence.rglob("*") if p.is_file()}
    assert not any(skipped[0]["page"] in name for name in files)
