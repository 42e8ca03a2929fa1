"""Long waits (#24 point 9): the running step shows its time and a retry as it happens, and
Avbryt stops the robot after the current step, never between a created number and its journal.

Real Chromium against the app and the mock sites; slowness and errors come from the mock's
faults, and the test waits on what the page shows (no sleeps).
"""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Locator, Page, expect

from flows.rules.outcome import StepEvent
from flows.runner import Runner
from mock_sites.testing import MockSites
from tests.ui.conftest import StepHooks, UiServer
from tests.ui.forms import REGISTERED, expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import Person, Screens, new_person
from tests.ui.test_failure import expect_clerk_text_only, patients_born, persons_born

pytestmark = pytest.mark.e2e

STOPPED_AFTER_NUMBER = "Stoppad – reservnumret finns, men patienten är inte registrerad i PMO"
STOPPED_NOTHING = "Stoppad – ingenting har ändrats"


def _step(page: Page, key: str) -> Locator:
    return page.locator(f'#steps li[data-step="{key}"]')


def test_a_slow_failing_pmo_shows_the_retry_and_a_ticking_time(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites)
    attempts = ui_server.settings.max_attempts
    # Every PMO answer comes late and as an error: the search is tried again, then gives up.
    fresh_mock_sites.set_faults("pmo", latency_ms=1500, error_rate=1.0)
    try:
        fill_registration(page, person)
        submit_registration(page)
        search = _step(page, "search_pmo")
        expect(search).to_have_class(re.compile(r"\bstep-started\b"))
        # The time counts up in the page while the step runs ...
        expect(search.locator(".step-time")).to_have_text(re.compile(r"^[1-9]\d* s$"))
        expect(search.locator(".step-time")).to_have_text(re.compile(r"^([2-9]|\d\d+) s$"))
        # ... and the retry is said as it happens, in the step and in the live region.
        note = f"PMO svarar långsamt, försök {attempts} av {attempts}"
        expect(search.locator(".step-note")).to_have_text(f" – {note}")
        expect(page.locator("#job-live")).to_contain_text(note)
        screens.shot(page, "30-pmo-svarar-langsamt", "Ett steg som tar tid: tiden och försöket.")
        expect_outcome(page, "PMO svarar inte just nu")
    finally:
        fresh_mock_sites.set_faults("pmo", latency_ms=0, error_rate=0.0)
    # Afterwards the step says how many attempts it took.
    expect(_step(page, "search_pmo").locator(".step-note")).to_have_text(
        f" – efter {attempts} försök"
    )
    expect(page.locator("#stop-button")).to_have_count(0)


def test_avbryt_after_the_number_was_created_stops_before_pmo_and_says_what_was_done(
    app_page: Page, fresh_mock_sites: MockSites, step_hooks: StepHooks, screens: Screens
) -> None:
    page = app_page
    person: Person = new_person(fresh_mock_sites, sex="M")
    reached = threading.Event()
    release = threading.Event()

    def hold_after_create(_runner: Runner, event: StepEvent) -> None:
        # The robot has created and journaled the number; it waits here until the clerk's
        # Avbryt has reached the app, so the stop lands at the boundary before PMO.
        if event.step == "create_rns" and event.status == "done":
            reached.set()
            release.wait(timeout=60)

    step_hooks.add(hold_after_create)
    try:
        fill_registration(page, person)
        submit_registration(page)
        assert reached.wait(timeout=60), "the robot never created a number"
        page.get_by_role("button", name="Avbryt").click()
        expect(page.locator("#job-live")).to_contain_text("Du har avbrutit")
        expect(page.get_by_role("button", name="Avbryt")).to_be_disabled()
    finally:
        release.set()
    expect_outcome(page, STOPPED_AFTER_NUMBER)
    [created] = persons_born(fresh_mock_sites, person)
    assert patients_born(fresh_mock_sites, person) == []
    expect(page.locator("#reservnummer")).to_have_value(str(created["id_value"]))
    expect(page.locator("#next-step")).to_contain_text("Skapa inget nytt reservnummer")
    expect(_step(page, "create_rns")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(_step(page, "register_pmo")).not_to_have_class(re.compile(r"\bstep-(done|started)\b"))
    expect_clerk_text_only(page)
    screens.shot(page, "31-avbruten-efter-nummer", "Avbrutet efter att numret skapats.")
    # Försök igen finishes with the same number: still one number for the person.
    page.get_by_role("button", name="Försök igen").click()
    expect_outcome(page, REGISTERED)
    [again] = persons_born(fresh_mock_sites, person)
    assert again["id_value"] == created["id_value"]
    assert len(patients_born(fresh_mock_sites, person)) == 1


def test_avbryt_before_anything_was_changed_says_nothing_was_done(
    app_page: Page, fresh_mock_sites: MockSites, step_hooks: StepHooks
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites)
    reached = threading.Event()
    release = threading.Event()

    def hold_in_search(_runner: Runner, event: StepEvent) -> None:
        if event.step == "search_pmo" and event.status == "started":
            reached.set()
            release.wait(timeout=60)

    step_hooks.add(hold_in_search)
    try:
        fill_registration(page, person)
        submit_registration(page)
        assert reached.wait(timeout=60)
        page.get_by_role("button", name="Avbryt").click()
        expect(page.locator("#job-live")).to_contain_text("Du har avbrutit")
    finally:
        release.set()
    expect_outcome(page, STOPPED_NOTHING)
    assert persons_born(fresh_mock_sites, person) == []
    assert patients_born(fresh_mock_sites, person) == []
    expect(page.locator("#created-number")).to_have_count(0)
