"""A person found in PMO by the matcher: the page shows the patient as PMO has them, why the
robot judged them the person, and marks a different spelling and a different address
(issue 24, point 2). Real app, real Chromium, real mock sites."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.forms import (
    ALREADY_REGISTERED,
    REGISTERED,
    expect_outcome,
    fill_registration,
    submit_registration,
)
from tests.ui.helpers import Person, new_person


@pytest.mark.e2e
def test_automatic_match_shows_the_record_the_basis_and_what_differs(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer
) -> None:
    page = app_page
    first = new_person(fresh_mock_sites, sex="M")
    first = Person(first.birth_date, "M", first.family_name, "Youssef")
    fill_registration(page, first)
    submit_registration(page)
    expect_outcome(page, REGISTERED)
    patient_id = page.get_by_label("Patient-ID").input_value()

    # The same man again: another transliteration of his name, another address.
    again = Person(first.birth_date, "M", first.family_name, "Yusuf")
    page.goto(ui_server.base_url)
    fill_registration(page, again, street="Södra Kungsgatan 12", postal_code="802 67")
    submit_registration(page)
    expect_outcome(page, ALREADY_REGISTERED)
    expect(page.get_by_label("Patient-ID")).to_have_value(patient_id)

    record = page.locator("#pmo-record")
    expect(record.get_by_role("heading", name="Så står patienten i PMO")).to_be_visible()
    expect(record.locator("#match-basis")).to_contain_text("Samma namn med annan stavning.")
    name = record.locator("tr[data-differs=name]")
    expect(name).to_contain_text(f"{first.family_name}, Youssef")
    expect(name).to_contain_text(f"{first.family_name}, Yusuf")
    expect(name).to_contain_text("annan stavning")
    address = record.locator("tr[data-differs=address]")
    expect(address).to_contain_text("Norra Kungsgatan 3")
    expect(address).to_contain_text("Södra Kungsgatan 12")
    expect(address).to_contain_text("annan adress")
    expect(record.locator("tr[data-differs=sex]")).to_have_count(0)
    # Codes as the group has them: no difference to mark.
    expect(record.locator("tr", has_text="Kommun")).to_contain_text("01")
    expect(record.locator("tr[data-differs=kommun]")).to_have_count(0)
    # Nobody else on that birth date: no list of others.
    expect(page.locator("#others")).to_have_count(0)
