"""A protected identity: the robot registers ID, sex and name only and hands over to a person."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from robot.clipboard import read_system, write_system
from tests.ui.conftest import UiServer
from tests.ui.forms import expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import Screens, new_person


@pytest.mark.e2e
@pytest.mark.xvfb
def test_protected_identity_is_handed_over_without_address_or_clipboard(
    app_page: Page,
    fresh_mock_sites: MockSites,
    ui_server: UiServer,
    screens: Screens,
    x_display: str,
) -> None:
    page = app_page
    # The previous patient's ID is on the clipboard: one habitual Ctrl+V would put it into
    # this protected person's papers, so the robot must empty the clipboard.
    write_system("19800101-01K5")
    person = new_person(fresh_mock_sites, sex="M")
    # No address: it is secret and not registered, so the form must not ask for it.
    fill_registration(page, person, street="", postal_code="", city="")
    expect(page.locator("#group-protected")).to_be_hidden()
    page.get_by_label("Skyddade personuppgifter").check()
    expect(page.locator("#address-box")).to_be_hidden()
    # What the robot does not register is not asked for, or the form says where it goes.
    expect(page.locator("#field-info")).to_be_hidden()
    expect(page.locator("#group-protected")).to_contain_text("för inte in patientgruppens Kommun")
    submit_registration(page)

    expect_outcome(page, "Registrerad – resten görs för hand")
    expect(page.locator("#reason")).to_contain_text("Skyddade personuppgifter – PMO")
    rest = page.locator("#protected-rest")
    expect(rest).to_contain_text("Kommun, Län och Info tomma")
    expect(rest).to_contain_text(re.compile(r"Kommun \d+, Län \d+"))
    patient_id = page.get_by_label("Patient-ID").input_value()
    assert patient_id.startswith(person.birth_date.strftime("%Y%m%d"))
    expect(page.locator("#clipboard-note")).to_contain_text("lägger inte Patient-ID i urklipp")
    expect(page.locator("#clipboard-note")).to_contain_text("har tömt urklipp")
    assert read_system() == ""
    expect(page.get_by_role("button", name="Samma person (återanvänd)")).to_have_count(0)
    # The job page may be seen at a reception: the protected person's name is not on it.
    expect(page.locator("main")).not_to_contain_text(person.family_name)
    expect(page.locator("main")).to_contain_text("Skyddade personuppgifter")
    screens.shot(
        page,
        "08-skyddad-identitet",
        "Skyddade personuppgifter: bara Patient-ID, kön och namn; resten enligt rutinen.",
    )

    (saved,) = [
        p for p in fresh_mock_sites.records("pmo")["patients"] if p["patient_id"] == patient_id
    ]
    assert (saved["family_name"], saved["given_names"]) == (person.family_name, person.given_names)
    assert not saved["street"] and not saved["postal_code"]
    # As the page says: Kommun, Län and Info are left to the protected routine.
    assert not saved["kommun"] and not saved["lan"] and not saved["info"]
    page.get_by_role("button", name="Klart – resten är gjort för hand").click()
    expect(page.locator("#handled-note")).to_be_visible()
    evidence = ui_server.settings.evidence_path
    assert not any(evidence.rglob(f"*{patient_id}*"))
