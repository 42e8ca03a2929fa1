"""Dagens ärenden (#24 point 8): nothing is lost when a page is left. Today's work is listed
with its outcome, Patient-ID and a link; a failed or undecided case stays under "Inte klart"
until someone closes it, and closing a failure as done by hand is in the audit log with the
clerk. Real Chromium against the app and the mock sites."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.ui.conftest import UiServer
from tests.ui.forms import (
    REGISTERED,
    SITE_DOWN_RNS,
    expect_outcome,
    fill_registration,
    register_while_rns_is_down,
    submit_registration,
)
from tests.ui.helpers import Screens, new_person

pytestmark = pytest.mark.e2e


def _open_today(page: Page) -> None:
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name=re.compile("^Dagens ärenden")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dagens ärenden")


def test_a_failed_case_stays_listed_until_closed_by_hand_and_a_success_is_listed(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    failing = new_person(fresh_mock_sites, sex="M")
    register_while_rns_is_down(page, fresh_mock_sites, failing)
    failed_url = page.url
    ok = new_person(fresh_mock_sites, sex="K")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Registrera ny patient"
    ).click()
    fill_registration(page, ok)
    submit_registration(page)
    expect_outcome(page, REGISTERED)
    patient_id = page.locator("#patient-id").input_value()

    # The clerk has left the failed page: it is still there, open, with a link to it.
    _open_today(page)
    open_row = page.locator("#open-cases tbody tr").filter(has_text=failing.display_name)
    expect(open_row).to_have_count(1)
    expect(open_row).to_contain_text(SITE_DOWN_RNS)
    expect(open_row).to_contain_text("Försök igen eller registrera för hand")
    done_row = page.locator("#done-cases tbody tr").filter(has_text=ok.display_name)
    expect(done_row).to_contain_text(REGISTERED)
    expect(done_row).to_contain_text(patient_id)
    screens.shot(page, "32-dagens-arenden", "Dagens ärenden: det som inte är klart överst.")

    open_row.get_by_role("link", name=re.compile("^Öppna")).click()
    expect(page).to_have_url(failed_url)
    page.get_by_role("button", name="Klar – registrerad för hand").click()
    expect(page.locator("#handled-note")).to_contain_text("gjort det som var kvar för hand")
    expect(page.get_by_role("button", name="Försök igen")).to_have_count(0)

    _open_today(page)
    expect(
        page.locator("#open-cases tbody tr").filter(has_text=failing.display_name)
    ).to_have_count(0)
    expect(
        page.locator("#done-cases tbody tr").filter(has_text=failing.display_name)
    ).to_contain_text("klart, gjort för hand")
    audit = ui_server.ui.audit
    assert audit is not None
    handled = [e for e in audit.recent(50) if e.result == "handled_by_person"]
    assert handled and handled[0].actor == "ui:testkanslist"
