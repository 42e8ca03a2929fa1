"""When a site is down, the page says so in Swedish, links the evidence, and can try again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.forms import (
    FAILED,
    REGISTERED,
    expect_outcome,
    fill_registration,
    submit_registration,
)
from tests.ui.helpers import Screens, new_person


@pytest.mark.e2e
def test_failure_shows_reason_and_evidence_and_try_again_succeeds(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    person = new_person(fresh_mock_sites, sex="M")
    fresh_mock_sites.set_faults("rns", error_rate=1.0)
    try:
        fill_registration(page, person)
        submit_registration(page)
        expect_outcome(page, FAILED)
    finally:
        fresh_mock_sites.set_faults("rns", error_rate=0.0)
    steps = page.locator("#steps")
    expect(steps.locator("li", has_text="Söker i PMO").locator(".step-status")).to_have_text("Klar")
    expect(
        steps.locator("li", has_text="Söker i Reservnummersystemet").locator(".step-status")
    ).to_have_text("Misslyckades")
    expect(page.locator("#reason")).not_to_be_empty()
    screens.shot(
        page, "12-misslyckad", "Tekniskt fel: orsak, felkod, länk till bevis, Försök igen."
    )

    page.get_by_role("link", name="Visa bevis (skärmbild och spår)").click()
    expect(page.get_by_role("heading", name="Bevis för ett misslyckat ärende")).to_be_visible()
    image = page.get_by_role("img").first
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('figure img')?.naturalWidth > 0")
    page.go_back()

    assert not [
        p
        for p in fresh_mock_sites.records("rns")["persons"]
        if p["birth_date"] == person.birth_date.isoformat()
    ]
    page.get_by_role("button", name="Försök igen").click()
    expect_outcome(page, REGISTERED)
    patient_id = page.get_by_label("Patient-ID").input_value()
    assert any(p["patient_id"] == patient_id for p in fresh_mock_sites.records("pmo")["patients"])
