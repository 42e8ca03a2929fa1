"""An uncertain name match: the clerk sees why, the candidates side by side, and decides.

The pairs come from the mock's seed: a PMO patient and a made-up spelling of their name that
the robot's own matcher cannot call the same or different (see ``find_uncertain_pair``).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.e2e.people import rns_person_with_personnummer_alone
from tests.ui.conftest import UiServer
from tests.ui.forms import (
    ALREADY_REGISTERED,
    NEEDS_PERSON,
    REGISTERED,
    choose_same,
    expect_outcome,
    fill_registration,
    hit_cell,
    request_cell,
    submit_registration,
)
from tests.ui.helpers import Person, Screens, find_uncertain_pair

pytestmark = pytest.mark.e2e


def _decisions(ui_server: UiServer) -> list[tuple[str, str, str]]:
    audit = ui_server.ui.audit
    assert audit is not None
    return [(e.actor, e.system, e.result) for e in audit.recent(200) if e.step == "person_decision"]


def expect_why_differences_and_no_default_answer(page: Page, id_value: str) -> None:
    """The uncertain-match page says why, marks what differs, and has no default answer."""
    expect(page.locator(".outcome-summary")).to_contain_text("Du behöver avgöra")
    # The robot's own reason for this hit, from the matcher, and the differing name marked.
    reason = page.locator(".match-reason").first
    expect(reason).to_contain_text("därför är roboten osäker:")
    expect(reason).to_contain_text("kontrollera")
    name = hit_cell(page, id_value, "name")
    expect(name).to_have_attribute("data-differs", "name")
    expect(name).to_contain_text("annan stavning")
    expect(hit_cell(page, id_value, "sex")).not_to_have_attribute("data-differs", "sex")
    # Neither answer is the default: no primary style, and the first Tab stop after the
    # heading is the guidance, not an answer.
    for name in ("Samma person (återanvänd)", "Annan person (fortsätt och skapa)"):
        expect(page.get_by_role("button", name=name).first).not_to_have_class(
            re.compile(r"\bprimary\b")
        )
    page.locator("#outcome-title").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Så avgör du om det är samma person"


def test_uncertain_match_same_person_reuses_the_pmo_patient(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer, screens: Screens
) -> None:
    page = app_page
    pair = find_uncertain_pair(fresh_mock_sites, skip=0)
    before_pmo = fresh_mock_sites.records("pmo")["patients"]
    before_rns = fresh_mock_sites.records("rns")["persons"]
    decided_before = _decisions(ui_server)
    fill_registration(page, pair.request)
    submit_registration(page)

    expect_outcome(page, NEEDS_PERSON)
    expect(page.locator("#reason")).to_contain_text("PMO")
    expect(request_cell(page, "name")).to_have_text(pair.request.display_name)
    pid = pair.patient["patient_id"]
    expect(hit_cell(page, pid, "name")).to_contain_text(
        f"{pair.patient['family_name']}, {pair.patient['given_names']}"
    )
    expect(hit_cell(page, pid, "system")).to_have_text("PMO")
    # One table, a row per field: the hit's address and codes as PMO has them.
    expect(hit_cell(page, pid, "address")).to_contain_text(pair.patient["city"])
    expect(hit_cell(page, pid, "kommun")).to_contain_text(pair.patient["kommun"])
    expect(request_cell(page, "address")).to_contain_text("Norra Kungsgatan 3")
    expect(page.get_by_role("button", name="Annan person (fortsätt och skapa)")).to_be_visible()
    expect(page.get_by_role("button", name="Avbryt")).to_be_visible()
    screens.shot(
        page, "06-behover-person", "Osäker träff: varför, personerna sida vid sida och tre val."
    )

    expect_why_differences_and_no_default_answer(page, pid)

    choose_same(page, pid)
    expect_outcome(page, ALREADY_REGISTERED)
    expect(page.get_by_label("Patient-ID")).to_have_value(pair.patient["patient_id"])
    # How the patient stands in PMO, and why: the clerk's own decision; the other spelling
    # is marked.
    record = page.locator("#pmo-record")
    expect(record.locator("#match-basis")).to_contain_text("En person har avgjort")
    expect(record.locator("tr[data-differs=name]")).to_contain_text("annan stavning")
    expect(record.locator("tr", has_text="Adress")).to_contain_text(pair.patient["city"])
    expect(record.locator("tr", has_text="Kommun")).to_contain_text(pair.patient["kommun"])
    screens.shot(page, "07-finns-redan", "Samma person: befintligt Patient-ID återanvänds.")
    assert fresh_mock_sites.records("pmo")["patients"] == before_pmo
    assert fresh_mock_sites.records("rns")["persons"] == before_rns
    new = _decisions(ui_server)[len(decided_before) :]
    assert new == [("ui:testkanslist", "pmo", "same")]


def test_uncertain_match_different_person_goes_on_and_creates(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer
) -> None:
    page = app_page
    pair = find_uncertain_pair(fresh_mock_sites, skip=1)
    patients_before = len(fresh_mock_sites.records("pmo")["patients"])
    decided_before = _decisions(ui_server)
    fill_registration(page, pair.request)
    submit_registration(page)
    expect_outcome(page, NEEDS_PERSON)
    first_job = page.url
    page.get_by_role("button", name="Annan person (fortsätt och skapa)").click()
    expect_outcome(page, REGISTERED)
    patient_id = page.get_by_label("Patient-ID").input_value()
    assert patient_id != pair.patient["patient_id"]
    patients = fresh_mock_sites.records("pmo")["patients"]
    assert len(patients) == patients_before + 1
    saved = next(p for p in patients if p["patient_id"] == patient_id)
    assert (saved["family_name"], saved["given_names"]) == (
        pair.request.family_name,
        pair.request.given_names,
    )
    # The success says whom the robot told apart on the birth date, and shows them.
    others = page.locator("#others")
    n = len(pair.others_on_date)
    expect(others.locator("summary")).to_contain_text(f"{n} person")
    others.locator("summary").click()
    expect(others.locator("tbody tr")).to_have_count(n)
    decided = others.locator("tr", has_text=pair.patient["patient_id"])
    expect(decided).to_contain_text("En person har avgjort att det är en annan person.")
    new = _decisions(ui_server)[len(decided_before) :]
    assert ("ui:testkanslist", "pmo", "different") in new
    assert {r for _, _, r in new} == {"different"}

    # The first page now says the decision is taken; deciding again starts nothing new.
    page.goto(first_job)
    expect(page.get_by_text("Ett beslut är redan fattat")).to_be_visible()
    expect(page.get_by_role("button", name="Annan person (fortsätt och skapa)")).to_have_count(0)


def test_uncertain_match_cancel_stops_without_creating(
    app_page: Page, fresh_mock_sites: MockSites, ui_server: UiServer
) -> None:
    page = app_page
    pair = find_uncertain_pair(fresh_mock_sites, skip=2)
    before_rns = fresh_mock_sites.records("rns")["persons"]
    patients_before = len(fresh_mock_sites.records("pmo")["patients"])
    fill_registration(page, pair.request)
    submit_registration(page)
    expect_outcome(page, NEEDS_PERSON)
    page.get_by_role("button", name="Avbryt").click()
    expect(page.get_by_role("heading", name="Avbrutet")).to_be_visible()
    assert fresh_mock_sites.records("rns")["persons"] == before_rns
    assert len(fresh_mock_sites.records("pmo")["patients"]) == patients_before
    assert _decisions(ui_server)[-1] == ("ui:testkanslist", "pmo", "cancel")


def test_personnummer_hit_ends_with_the_number_its_kind_and_kopiera(
    app_page: Page, fresh_mock_sites: MockSites, screens: Screens
) -> None:
    page = app_page
    seeded = rns_person_with_personnummer_alone(fresh_mock_sites)
    person = Person(
        date.fromisoformat(seeded["birth_date"]),
        seeded["sex"],
        seeded["family_name"],
        seeded["given_names"],
    )
    fill_registration(page, person)
    submit_registration(page)
    expect_outcome(page, "Personen har redan ett personnummer eller samordningsnummer")
    number = page.locator("#compare-table tr[data-field=personnummer] td[data-hit-id]")
    expect(number).to_have_text(seeded["personnummer"])
    hit_id = number.get_attribute("data-hit-id")
    assert hit_id
    choose_same(page, hit_id)
    kind = "Samordningsnummer" if int(seeded["personnummer"][6:8]) > 60 else "Personnummer"
    definite = kind.lower().removesuffix("nummer") + "numret"
    expect(page.get_by_role("heading", name=f"Registrera med {definite}")).to_be_visible()
    expect(page.get_by_label(kind, exact=True)).to_have_value(seeded["personnummer"])
    page.get_by_role("button", name="Kopiera").click()
    expect(page.locator("#copy-status")).to_have_text(
        re.compile(r"^Kopierat till urklipp kl\. \d\d:\d\d\.$")
    )
    assert page.evaluate("navigator.clipboard.readText()") == seeded["personnummer"]
    screens.shot(
        page,
        "09-personnummer",
        "Personen har personnummer: numret, dess typ och Kopiera; inget reservnummer skapas.",
    )
