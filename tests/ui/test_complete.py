"""Komplettera personnummer: refused without the identity check box, done with it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from flows.rules.region import load_region_profile
from mock_sites.testing import MockSites
from robot.settings import DEFAULT_CONFIG_DIR
from tests.ui.conftest import UiServer
from tests.ui.forms import COMPLETED, JOB_URL, expect_outcome
from tests.ui.helpers import Screens, make_personnummer


def _reserv_patient(sites: MockSites) -> dict[str, str]:
    """A PMO patient with a reservnummer whose date part is a real date."""
    profile = load_region_profile(DEFAULT_CONFIG_DIR)
    for patient in sites.records("pmo")["patients"]:
        pid = patient["patient_id"]
        if profile.match(pid) is None:
            continue
        try:
            date(int(pid[:4]), int(pid[4:6]), int(pid[6:8]))
        except ValueError:
            continue
        return patient
    raise LookupError("no reservnummer patient in the PMO seed")


@pytest.mark.e2e
def test_completion_is_refused_without_the_check_box_and_runs_with_it(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    patient = _reserv_patient(fresh_mock_sites)
    old_id = patient["patient_id"]
    personnummer = make_personnummer(old_id[:8], patient["sex"])
    jobs_before = len(ui_server.ui.jobs)

    page.get_by_role("link", name="Komplettera personnummer").click()
    expect(page.get_by_role("heading", name="Komplettera personnummer")).to_be_visible()
    page.get_by_label("Patient-ID").fill(old_id)
    page.get_by_label("Personnummer").fill(personnummer)
    check = page.get_by_label("Identiteten och handlingen är kontrollerade")
    expect(check).not_to_be_checked()
    page.get_by_role("button", name="Komplettera").click()

    expect(check).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-identity_checked")).to_contain_text("Kryssa i")
    expect(page.get_by_role("alert")).to_contain_text("ingenting har körts")
    screens.shot(
        page, "10-komplettera-nekad", "Komplettera personnummer: nekas utan kryss i kontrollrutan."
    )
    assert len(ui_server.ui.jobs) == jobs_before, "no robot job may start"
    ids = {p["patient_id"] for p in fresh_mock_sites.records("pmo")["patients"]}
    assert old_id in ids and personnummer not in ids

    expect(page.get_by_label("Patient-ID")).to_have_value(old_id)
    check.check()
    page.get_by_role("button", name="Komplettera").click()
    expect(page).to_have_url(JOB_URL)
    expect_outcome(page, COMPLETED)
    expect(page.get_by_label("Patient-ID")).to_have_value(personnummer)
    screens.shot(page, "11-kompletterad", "Personnumret är inlagt och kontrollerat.")
    ids = {p["patient_id"] for p in fresh_mock_sites.records("pmo")["patients"]}
    assert personnummer in ids and old_id not in ids


def test_completion_with_wrong_birth_date_is_refused_before_running(
    app_page: Page, ui_server: UiServer, mock_sites: MockSites
) -> None:
    page = app_page
    patient = _reserv_patient(mock_sites)
    other_day = "19010101" if not patient["patient_id"].startswith("1901") else "19020202"
    page.goto(ui_server.base_url + "komplettera")
    page.get_by_label("Patient-ID").fill(patient["patient_id"])
    page.get_by_label("Personnummer").fill(make_personnummer(other_day, "K"))
    page.get_by_label("Identiteten och handlingen är kontrollerade").check()
    page.get_by_role("button", name="Komplettera").click()
    expect(page.get_by_label("Personnummer")).to_have_accessible_description(
        re.compile("Födelsedatumet i personnumret stämmer inte")
    )
