"""PMO's "Sök patient": hits, no hits, invalid dates."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import open_as_demo


def _birth_date_with_hits(sites: MockSites, minimum: int = 2) -> tuple[str, list[dict[str, str]]]:
    by_date: dict[str, list[dict[str, str]]] = {}
    for patient in sites.records("pmo")["patients"]:
        pid = patient["patient_id"]
        if len(pid) == 13:
            by_date.setdefault(pid[:8], []).append(patient)
    key = max(by_date, key=lambda k: len(by_date[k]))
    assert len(by_date[key]) >= minimum
    return key, by_date[key]


def _search(page: Page, year: str, month: str, day: str) -> None:
    page.get_by_role("link", name="Sök patient").click()
    page.get_by_role("textbox", name="År").fill(year)
    page.get_by_role("textbox", name="Månad").fill(month)
    page.get_by_role("textbox", name="Dag").fill(day)
    page.get_by_role("button", name="Sök").click()


def test_search_by_birth_date_should_list_every_patient_born_that_day(
    page: Page, mock_sites: MockSites
) -> None:
    key, patients = _birth_date_with_hits(mock_sites)
    everyone_that_day = [
        p
        for p in mock_sites.records("pmo")["patients"]
        if p["patient_id"][:8] == key
        or (
            len(p["patient_id"]) == 12
            and p["patient_id"][:6] + f"{int(p['patient_id'][6:8]) % 60:02d}" == key
        )
    ]
    open_as_demo(page, mock_sites, "pmo", "/sok")
    _search(page, key[:4], key[4:6], key[6:])
    table = page.get_by_role("table", name="Sökresultat")
    expect(table.get_by_role("columnheader")).to_have_text(["Patient-ID", "Namn", "Kön"])
    expect(table.get_by_role("row")).to_have_count(len(everyone_that_day) + 1)
    first = patients[0]
    row = table.get_by_role("row").filter(has=page.get_by_role("link", name=first["patient_id"]))
    expect(row.get_by_role("cell")).to_have_text(
        [
            first["patient_id"],
            f"{first['family_name']}, {first['given_names']}",
            "Man" if first["sex"] == "M" else "Kvinna",
        ]
    )
    row.get_by_role("link", name=first["patient_id"]).click()
    expect(page).to_have_url(f"{mock_sites.pmo_url}/patient/{first['patient_id']}")
    expect(page.get_by_role("heading", name="Patient")).to_be_visible()


def test_search_should_find_samordningsnummer_holder_by_real_birth_date(
    page: Page, mock_sites: MockSites
) -> None:
    holder = next(
        p
        for p in mock_sites.records("pmo")["patients"]
        if len(p["patient_id"]) == 12 and int(p["patient_id"][6:8]) > 60
    )
    pid = holder["patient_id"]
    open_as_demo(page, mock_sites, "pmo", "/sok")
    _search(page, pid[:4], pid[4:6], str(int(pid[6:8]) - 60))
    expect(page.get_by_role("link", name=pid)).to_be_visible()


def test_search_without_hits_should_say_no_patients_found(
    page: Page, mock_sites: MockSites
) -> None:
    open_as_demo(page, mock_sites, "pmo", "/sok")
    _search(page, "1899", "01", "01")
    expect(page.get_by_text("Inga patienter hittades")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)


def test_search_with_impossible_date_should_show_error_and_no_table(
    page: Page, mock_sites: MockSites
) -> None:
    open_as_demo(page, mock_sites, "pmo", "/sok")
    _search(page, "2023", "02", "30")
    expect(page.get_by_role("alert")).to_contain_text("Datumet finns inte")
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page).to_have_url(mock_sites.pmo_url + "/sok?ar=2023&manad=02&dag=30")
