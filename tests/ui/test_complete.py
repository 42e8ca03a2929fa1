"""Komplettera personnummer: refused without the identity check box, done with it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from stdnum import luhn

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


def _personnummer(date_part: str, serial: int) -> str:
    """A valid 12-digit personnummer with this serial (its last digit says the sex)."""
    body = f"{date_part[2:]}{serial:03d}"
    return f"{date_part[:2]}{body}{luhn.calc_check_digit(body)}"


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
    # The former Patient-ID and the name in PMO: a mistyped reservnummer would show here.
    completion = page.locator("#completion")
    expect(completion).to_contain_text(old_id)
    expect(completion).to_contain_text(f"{patient['family_name']}, {patient['given_names']}")
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


@pytest.mark.e2e
def test_completion_with_the_other_sex_is_refused_with_both_values_and_changes_nothing(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer
) -> None:
    page = app_page
    patient = _reserv_patient(fresh_mock_sites)
    old_id = patient["patient_id"]
    other_sex = "M" if patient["sex"] == "K" else "K"
    before = fresh_mock_sites.records("pmo")["patients"]
    taken = {p["patient_id"] for p in before}
    personnummer = next(
        number
        for serial in range(990, 1000)
        if (serial % 2 == 1) == (other_sex == "M")
        and (number := _personnummer(old_id[:8], serial)) not in taken
    )

    page.goto(ui_server.base_url + "komplettera")
    page.get_by_label("Patient-ID").fill(old_id)
    page.get_by_label("Personnummer").fill(personnummer)
    page.get_by_label("Identiteten och handlingen är kontrollerade").check()
    page.get_by_role("button", name="Komplettera").click()

    expect_outcome(page, "Personnumret stämmer inte med patienten – ingenting ändrades")
    reason = page.locator("#reason")
    in_pmo = "kvinna" if patient["sex"] == "K" else "man"
    in_number = "man" if in_pmo == "kvinna" else "kvinna"
    expect(reason).to_contain_text(f"är {in_pmo} i PMO")
    expect(reason).to_contain_text(f"könssiffra (den näst sista) anger {in_number}")
    expect(page.get_by_role("button", name="Samma person (återanvänd)")).to_have_count(0)
    assert fresh_mock_sites.records("pmo")["patients"] == before
