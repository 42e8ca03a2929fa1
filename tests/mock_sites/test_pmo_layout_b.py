"""PMO layout b: the same screens under other labels, markup, order and ids."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import open_as_demo


def test_layout_b_search_should_use_its_own_names_and_column_order(
    page: Page, mock_sites_b: MockSites
) -> None:
    patient = next(p for p in mock_sites_b.records("pmo")["patients"] if len(p["patient_id"]) == 13)
    pid = patient["patient_id"]
    open_as_demo(page, mock_sites_b, "pmo", "/sok")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link")).to_have_text(["Ny patient", "Patientsök"])
    expect(page.get_by_role("link", name="Sök patient")).to_have_count(0)
    page.get_by_role("link", name="Patientsök").click()
    page.get_by_role("textbox", name="År").fill(pid[:4])
    page.get_by_role("textbox", name="Månad").fill(pid[4:6])
    page.get_by_role("textbox", name="Dag").fill(pid[6:8])
    page.get_by_role("button", name="Sök").click()
    table = page.get_by_role("table", name="Träfflista")
    expect(table.get_by_role("columnheader")).to_have_text(["Namn", "Pat-ID", "Kön"])
    expect(page.get_by_role("table", name="Sökresultat")).to_have_count(0)
    table.get_by_role("link", name=pid).click()
    data = page.get_by_role("table", name="Patientdata")
    expect(data.get_by_role("rowheader")).to_have_text(
        [
            "Efternamn",
            "Förnamn",
            "Pat-ID",
            "Kön",
            "Adress",
            "Postnummer",
            "Postort",
            "Kommun",
            "Län",
            "Land",
            "Info",
        ]
    )
    expect(data.get_by_role("row").filter(has_text="Pat-ID").get_by_role("cell")).to_have_text(pid)
    expect(page.get_by_role("button", name="Redigera patient")).to_be_visible()
    expect(page.get_by_role("button", name="Ändra patientdata")).to_have_count(0)


def test_layout_b_register_should_mark_wrong_pat_id_and_save_with_spara_patient(
    page: Page, fresh_mock_sites_b: MockSites
) -> None:
    sites = fresh_mock_sites_b
    open_as_demo(page, sites, "pmo", "/sok")
    page.get_by_role("link", name="Ny patient").click()
    field = page.get_by_role("textbox", name="Pat-ID")
    expect(page.get_by_role("textbox", name="Patient-ID")).to_have_count(0)
    field.fill("19612121")
    marker = page.get_by_role("img", name="Fel format")
    expect(marker).to_be_visible()
    marker_box, field_box = marker.bounding_box(), field.bounding_box()
    assert marker_box is not None and field_box is not None
    assert marker_box["x"] + marker_box["width"] <= field_box["x"]
    field.fill("19612121-01M7")
    expect(marker).to_have_count(0)
    page.get_by_role("textbox", name="Efternamn").fill("Bsson")
    page.get_by_role("textbox", name="Förnamn").fill("Berit")
    page.get_by_role("radio", name="Kvinna").check()
    page.get_by_role("textbox", name="Adress").fill("Storgatan 1")
    page.get_by_role("textbox", name="Postnummer").fill("80320")
    page.get_by_role("textbox", name="Postnummer").press("Tab")
    expect(page.get_by_role("textbox", name="Postort")).to_have_value("Gävle")
    expect(page.get_by_role("textbox", name="Kommun")).to_have_value("80")
    page.get_by_role("textbox", name="Kommun").fill("01")
    page.get_by_role("textbox", name="Län").fill("99")
    page.get_by_role("button", name="Spara patient").click()
    expect(page.get_by_role("status")).to_have_text("Patient sparad")
    saved = [p for p in sites.records("pmo")["patients"] if p["patient_id"] == "19612121-01M7"]
    assert [(p["city"], p["kommun"], p["lan"], p["sex"]) for p in saved] == [
        ("Gävle", "01", "99", "K")
    ]
    page.get_by_role("button", name="Redigera patient").click()
    expect(page.get_by_role("textbox", name="Pat-ID")).to_have_value("19612121-01M7")
    expect(page.get_by_role("textbox", name="Adress")).to_have_value("Storgatan 1")


def test_layout_b_should_use_other_ids_than_layout_a(
    page: Page, mock_sites: MockSites, mock_sites_b: MockSites
) -> None:
    ids = []
    for sites in (mock_sites, mock_sites_b):
        open_as_demo(page, sites, "pmo", "/registrera")
        ids.append(set(page.locator("form [id]").evaluate_all("els => els.map(e => e.id)")))
    assert ids[0] and ids[1]
    assert not ids[0] & ids[1]
