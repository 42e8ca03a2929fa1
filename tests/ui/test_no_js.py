"""Without JavaScript the form still works: the suggestion is refreshed by a button, and the
robot's page refreshes itself until the outcome is there (here: the person is already in PMO)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.forms import ALREADY_REGISTERED, SEX_LABEL, expect_outcome
from tests.ui.helpers import find_registered_patient


@pytest.mark.e2e
def test_registration_works_without_javascript(
    browser: Browser, ui_server: UiServer, fresh_mock_sites: MockSites
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    try:
        page = context.new_page()
        page.goto(ui_server.url_with_token)
        # Someone already in PMO: the robot recognises them and changes nothing.
        patient, person = find_registered_patient(fresh_mock_sites)
        before = fresh_mock_sites.records("pmo")["patients"]
        page.get_by_label("Födelsedatum").fill(person.birth_date.isoformat())
        page.get_by_role("radio", name=SEX_LABEL[person.sex], exact=True).check()
        page.get_by_label("Efternamn").fill(person.family_name)
        page.get_by_label("Förnamn").fill(person.given_names)
        page.get_by_label("Medborgarskap").select_option("SY")
        page.get_by_label("Boendeland").select_option("SE")
        page.get_by_role("radio", name="LMA-kort", exact=True).check()
        page.get_by_label("Utdelningsadress").fill("Norra Kungsgatan 3")
        page.get_by_label("Postnummer").fill("80320")
        page.get_by_label("Ort", exact=True).fill("Gävle")
        page.get_by_role("button", name="Uppdatera förslaget på patientgrupp").click()
        expect(page.locator("#group-auto-option")).to_have_text("Föreslagen: Asylsökande")
        expect(page.get_by_label("Efternamn")).to_have_value(person.family_name)
        page.get_by_role("button", name="Registrera", exact=True).click()
        expect(page.locator("#steps")).to_be_visible()
        expect_outcome(page, ALREADY_REGISTERED)
        expect(page.get_by_label("Patient-ID")).to_have_value(patient["patient_id"])
        assert fresh_mock_sites.records("pmo")["patients"] == before
        # Steps the robot did not need read so, not as if something was left undone.
        created = page.locator("#steps li[data-step=create_rns] .step-status")
        expect(created).to_have_text("Behövdes inte")
        if (patient.get("kommun"), patient.get("lan")) != ("01", "99"):
            # Codes that differ from the group say which value is right and what to do.
            box = page.locator("#code-differences")
            expect(box).to_contain_text("Det rätta är patientgruppens kod")
            expect(box).to_contain_text("patientgruppen har 01")
            expect(box).to_contain_text("Ändra patientdata")
    finally:
        context.close()
