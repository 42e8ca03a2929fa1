"""Filling the app's forms the way a clerk does (labels and roles only)."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from mock_sites.testing import MockSites
from tests.ui.helpers import Person

JOB_URL = re.compile(r"/jobb/[\w-]+$")
SEX_LABEL = {"M": "Man", "K": "Kvinna"}


def fill_registration(
    page: Page,
    person: Person,
    *,
    citizenship: str = "SY",
    shows: str = "LMA-kort",
    street: str = "Norra Kungsgatan 3",
    postal_code: str = "803 20",
    city: str = "Gävle",
) -> None:
    """Fill "Registrera ny patient" for an asylum seeker (LMA-kort, Swedish address)."""
    page.get_by_label("Födelsedatum").fill(person.birth_date.isoformat())
    page.get_by_role("radio", name=SEX_LABEL[person.sex], exact=True).check()
    page.get_by_label("Efternamn").fill(person.family_name)
    page.get_by_label("Förnamn").fill(person.given_names)
    page.get_by_label("Medborgarskap").select_option(citizenship)
    page.get_by_role("radio", name=shows, exact=True).check()
    expect(page.locator("#group-auto-option")).to_have_text("Föreslagen: Asylsökande")
    page.get_by_label("Utdelningsadress").fill(street)
    page.get_by_label("Postnummer").fill(postal_code)
    page.get_by_label("Ort", exact=True).fill(city)


def submit_registration(page: Page) -> None:
    page.get_by_role("button", name="Registrera", exact=True).click()
    expect(page).to_have_url(JOB_URL)


ROBOT_TIMEOUT_MS = 45_000
REGISTERED = "Klart – patienten är registrerad i PMO"
ALREADY_REGISTERED = "Patienten finns redan i PMO"
NEEDS_PERSON = "Roboten behöver din hjälp"
FAILED = "Det gick inte att slutföra"
COMPLETED = "Klart – personnumret är inlagt i PMO"
SITE_DOWN_RNS = "Reservnummersystemet svarar inte just nu"


def expect_outcome(page: Page, heading: str) -> None:
    """Wait for the robot's outcome (the page reloads itself when the job is done)."""
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(
        timeout=ROBOT_TIMEOUT_MS
    )


def hit_cell(page: Page, id_value: str, field: str) -> Locator:
    """One cell of the comparison table: the hit with this ID, the row of this field."""
    return page.locator(f'#compare-table tr[data-field="{field}"] td[data-hit-id="{id_value}"]')


def request_cell(page: Page, field: str) -> Locator:
    """The comparison table's cell of the person being registered, for this field."""
    return page.locator(f'#compare-table tr[data-field="{field}"] td[data-col="request"]')


def choose_same(page: Page, id_value: str) -> None:
    """Press "Samma person (återanvänd)" in the column of the hit with this ID."""
    hit_cell(page, id_value, "choice").get_by_role(
        "button", name="Samma person (återanvänd)"
    ).click()


def register_while_rns_is_down(page: Page, sites: MockSites, person: Person) -> None:
    """Register ``person`` while RNS answers every request with an error, and wait for the
    outcome that says so; RNS answers again afterwards, whatever happened."""
    sites.set_faults("rns", error_rate=1.0)
    try:
        fill_registration(page, person)
        submit_registration(page)
        expect_outcome(page, SITE_DOWN_RNS)
    finally:
        sites.set_faults("rns", error_rate=0.0)
