"""Each kind of failure has its own Swedish headline and next step on the result page.

Site down (RNS, PMO), PMO failing after a reservnummer was created (the number is shown, and
"Försök igen" reuses it), a failed verification (the saved Patient-ID is shown, no second
registration is offered) and a refused login (tried once, never again, no "Försök igen"). No
English exception names or step keys reach the clerk.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from pydantic import SecretStr

from apps.ui.app import create_app
from apps.ui.server import RunningApp, serve_in_thread
from flows.pages.login import LoginRefused
from flows.rules.outcome import StepEvent
from flows.runner import Runner
from mock_sites.testing import MockSites
from robot.settings import Settings
from tests.ui.conftest import StepHooks, UiServer
from tests.ui.forms import (
    REGISTERED,
    SITE_DOWN_RNS,
    expect_outcome,
    fill_registration,
    register_while_rns_is_down,
    submit_registration,
)
from tests.ui.helpers import LoginCounter, Person, Screens, counted_pmo, new_person

pytestmark = pytest.mark.e2e

SITE_DOWN_PMO = "PMO svarar inte just nu"
AFTER_NUMBER = "Reservnumret finns – men patienten är inte registrerad i PMO"
VERIFICATION = "Kontrollen visade fel – rätta patienten i PMO"
LOGIN_REFUSED = "Roboten kom inte in – inloggningen nekades"

# Words a clerk must never read: exception names, step keys, developer commands.
DEVELOPER_WORDS = re.compile(
    r"search_pmo|search_rns|create_rns|register_pmo|TimeoutError|\bError\b|Traceback"
    r"|reservrobot |playwright|\?token=|Felkod|bevis",
)


def persons_born(sites: MockSites, person: Person) -> list[dict[str, object]]:
    day = person.birth_date.isoformat()
    return [p for p in sites.records("rns")["persons"] if p["birth_date"] == day]


def patients_born(sites: MockSites, person: Person) -> list[dict[str, object]]:
    prefix = person.birth_date.strftime("%Y%m%d")
    return [p for p in sites.records("pmo")["patients"] if str(p["patient_id"]).startswith(prefix)]


def expect_clerk_text_only(page: Page) -> None:
    """The result page holds no developer words (the IT-support code is allowed)."""
    text = page.locator("main").inner_text()
    assert not DEVELOPER_WORDS.search(text), DEVELOPER_WORDS.findall(text)


def test_rns_down_says_so_with_next_step_and_try_again_succeeds(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites, sex="M")
    register_while_rns_is_down(page, fresh_mock_sites, person)
    expect(page).to_have_title(re.compile(f"^{SITE_DOWN_RNS}"))
    steps = page.locator("#steps")
    expect(steps.locator("li", has_text="Söker i PMO").locator(".step-status")).to_have_text("Klar")
    expect(
        steps.locator("li", has_text="Söker i Reservnummersystemet").locator(".step-status")
    ).to_have_text("Misslyckades")
    next_step = page.locator("#next-step")
    expect(next_step).to_contain_text("Försök igen om en stund")
    expect(next_step).to_contain_text("Kod för IT-support: site_error")
    expect(page.locator("#created-number")).to_have_count(0)
    expect_clerk_text_only(page)
    screens.shot(
        page, "12-misslyckad", "Systemet svarar inte: orsak, vad du kan göra nu, Försök igen."
    )

    page.get_by_role("link", name="Visa felunderlag (skärmbild och spår)").click()
    expect(
        page.get_by_role("heading", name="Felunderlag för ett misslyckat ärende")
    ).to_be_visible()
    screens.shot(page, "16-felunderlag", "Felunderlag: skärmbilder av det roboten såg, bara här.")
    expect(page.locator("main")).not_to_contain_text("playwright")
    # Files named by what they are, sizes as people read them: no file names, no "byte".
    main = page.locator("main")
    expect(main.get_by_role("link", name=re.compile(r"^Skärmbild av "))).not_to_have_count(0)
    for word in (".png", ".json", "byte", "screen-"):
        expect(main).not_to_contain_text(word)
    image = page.get_by_role("img").first
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('figure img')?.naturalWidth > 0")
    page.go_back()

    assert not persons_born(fresh_mock_sites, person)
    page.get_by_role("button", name="Försök igen").click()
    expect_outcome(page, REGISTERED)
    expect(page).to_have_title(re.compile(f"^{REGISTERED}"))
    patient_id = page.get_by_label("Patient-ID").input_value()
    assert any(p["patient_id"] == patient_id for p in fresh_mock_sites.records("pmo")["patients"])


def test_pmo_not_answering_names_pmo_and_its_step_in_swedish(
    app_page: Page, fresh_mock_sites: MockSites
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites, sex="K")
    fill_registration(page, person)
    fresh_mock_sites.set_faults("pmo", error_rate=1.0)
    try:
        submit_registration(page)
        expect_outcome(page, SITE_DOWN_PMO)
    finally:
        fresh_mock_sites.set_faults("pmo", error_rate=0.0)
    expect(page.locator("#reason")).to_contain_text("”Söker i PMO”")
    expect(page.locator("#next-step")).to_contain_text("registrera patienten för hand")
    expect(page.get_by_role("button", name="Försök igen")).to_be_visible()
    expect_clerk_text_only(page)
    assert not persons_born(fresh_mock_sites, person)


def test_pmo_down_after_the_number_was_created_shows_the_number_and_reuses_it(
    app_page: Page, fresh_mock_sites: MockSites, step_hooks: StepHooks, screens: Screens
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites, sex="K")

    def pmo_goes_down(runner: Runner, event: StepEvent) -> None:
        if event.step == "create_rns" and event.status == "done":
            fresh_mock_sites.set_faults("pmo", error_rate=1.0)

    step_hooks.add(pmo_goes_down)
    try:
        fill_registration(page, person)
        submit_registration(page)
        expect_outcome(page, AFTER_NUMBER)
    finally:
        step_hooks.clear()
        fresh_mock_sites.set_faults("pmo", error_rate=0.0)
    [created] = persons_born(fresh_mock_sites, person)
    expect(page.locator("#reservnummer")).to_have_value(str(created["id_value"]))
    expect(page.locator("#created-number")).to_contain_text("skapa inget nytt")
    expect(page.locator("#next-step")).to_contain_text("Skapa inget nytt reservnummer")
    expect(page.locator("#next-step")).to_contain_text("Kod för IT-support")
    expect_clerk_text_only(page)
    screens.shot(
        page,
        "13-pmo-nere-efter-nummer",
        "PMO svarade inte efter att reservnumret skapats: numret visas, skapa inget nytt.",
    )
    page.get_by_role("button", name="Kopiera").first.click()
    expect(page.locator("#copy-status-reservnummer")).to_have_text(
        re.compile(r"^Kopierat till urklipp kl\. \d\d:\d\d\.$")
    )

    page.get_by_role("button", name="Försök igen").click()
    expect_outcome(page, REGISTERED)
    expect(page.get_by_label("Patient-ID")).to_have_value(str(created["id_value"]))
    assert len(persons_born(fresh_mock_sites, person)) == 1


def test_failed_verification_shows_the_saved_patient_and_offers_no_second_registration(
    app_page: Page, fresh_mock_sites: MockSites, step_hooks: StepHooks
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites, sex="M")

    def garble(route: Route) -> None:
        # Something between the robot and PMO changes the city on its way to the server.
        body = (route.request.post_data or "").replace("city=G%C3%A4vle", "city=G%C3%A4vla")
        route.continue_(post_data=body)

    def corrupt_the_save(runner: Runner, event: StepEvent) -> None:
        context = runner.session.context("pmo")
        if event.step == "register_pmo" and event.status == "started":
            context.route("**/registrera", garble)
        if event.step == "register_pmo" and event.status in ("done", "failed"):
            context.unroute("**/registrera", garble)

    step_hooks.add(corrupt_the_save)
    try:
        fill_registration(page, person)
        submit_registration(page)
        expect_outcome(page, VERIFICATION)
    finally:
        step_hooks.clear()
    [saved] = patients_born(fresh_mock_sites, person)
    assert saved["city"] == "Gävla"
    expect(page.locator("#reason")).to_contain_text(f"Patient-ID {saved['patient_id']}")
    expect(page.locator("#reservnummer")).to_have_value(str(saved["patient_id"]))
    expect(page.locator("#next-step")).to_contain_text("Registrera inte patienten igen")
    expect(page.locator("#next-step")).to_contain_text("Kod för IT-support: verification_failed")
    expect(page.get_by_role("button", name="Försök igen")).to_have_count(0)
    expect_clerk_text_only(page)


# A refused login ---------------------------------------------------------------------------


@dataclass
class WrongPasswordApp:
    running: RunningApp
    pmo_logins: LoginCounter
    settings: Settings


@pytest.fixture(scope="module")
def wrong_password_app(
    mock_sites: MockSites, ui_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WrongPasswordApp]:
    """The app with a wrong PMO password, against its own PMO that counts login attempts."""
    folder: Path = tmp_path_factory.mktemp("wrong-password")
    with counted_pmo(folder) as (pmo_url, counter):
        pmo = ui_settings.pmo.model_copy(
            update={"url": pmo_url, "password": SecretStr("fel-lösenord")}
        )
        settings = ui_settings.model_copy(
            update={
                "pmo": pmo,
                "data_dir": folder / "data",
                "evidence_dir": folder / "data" / "evidence",
            }
        )
        token = secrets.token_urlsafe(24)
        app = create_app(settings, token=token, open_queue=False, user="testkanslist")
        with serve_in_thread(app, token=token) as running:
            yield WrongPasswordApp(running, counter, settings)


def test_wrong_pmo_password_is_tried_once_and_says_call_it_support(
    page: Page, wrong_password_app: WrongPasswordApp, mock_sites: MockSites, screens: Screens
) -> None:
    page.set_default_timeout(15_000)
    page.goto(wrong_password_app.running.url_with_token)
    person = new_person(mock_sites, sex="K")
    fill_registration(page, person)
    submit_registration(page)
    expect_outcome(page, LOGIN_REFUSED)
    expect(page.locator("#reason")).to_contain_text("PMO godtog inte robotens användarnamn")
    expect(page.locator("#next-step")).to_contain_text("Kontakta IT-support")
    expect(page.locator("#next-step")).to_contain_text("Kod för IT-support: login_refused")
    expect(page.get_by_role("button", name="Försök igen")).to_have_count(0)
    expect_clerk_text_only(page)
    screens.shot(
        page, "14-inloggning-nekad", "Fel lösenord: ett enda inloggningsförsök, ring IT-support."
    )
    assert wrong_password_app.pmo_logins.attempts == 1

    # The form now says so and offers no Registrera (nor does Komplettera): a clerk does not
    # fill in a whole form to learn it again, and the refused password is never sent again.
    page.get_by_role("link", name="Registrera en till").click()
    banner = page.locator("#login-block")
    expect(banner).to_contain_text("Roboten kommer inte in i PMO")
    expect(banner).to_contain_text("byta lösenordet")
    expect(page.get_by_role("button", name="Registrera", exact=True)).to_be_disabled()
    screens.shot(
        page, "15-inloggning-nekad-formular", "Efter en nekad inloggning: Registrera är avstängt."
    )
    fill_registration(page, new_person(mock_sites, sex="M"))
    # A form sent anyway (an old tab, the button enabled by hand) starts nothing either.
    page.get_by_role("button", name="Registrera", exact=True).evaluate("b => b.disabled = false")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.get_by_role("button", name="Registrera", exact=True).click()
    assert sent.value.status == 409
    expect(page.locator("#login-block")).to_be_visible()
    page.goto(wrong_password_app.running.base_url.rstrip("/") + "/komplettera")
    expect(page.locator("#login-block")).to_contain_text("Roboten kommer inte in i PMO")
    expect(page.get_by_role("button", name="Komplettera", exact=True)).to_be_disabled()
    assert wrong_password_app.pmo_logins.attempts == 1
    assert not persons_born(mock_sites, person)

    # Nor does another robot on the same data folder (a restart, a backlog worker) ...
    with Runner(wrong_password_app.settings) as runner, pytest.raises(LoginRefused):
        runner.warm_up()
    assert wrong_password_app.pmo_logins.attempts == 1
    # ... until the password in the settings is changed: that one is tried (and works).
    settings = wrong_password_app.settings
    fixed = settings.model_copy(
        update={"pmo": settings.pmo.model_copy(update={"password": SecretStr("demo")})}
    )
    with Runner(fixed) as runner:
        runner.warm_up()
    assert wrong_password_app.pmo_logins.attempts == 2
