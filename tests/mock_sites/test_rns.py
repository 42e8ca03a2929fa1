"""Reservnummersystemet: search, create a reservnummer and find it again, the manual."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from mock_sites.common.luhn import luhn_valid
from mock_sites.testing import MockSites
from tests.mock_sites.helpers import open_as_demo


def _search(page: Page, birth: str, name: str = "") -> None:
    page.get_by_role("link", name="Sök", exact=True).click()
    page.get_by_role("textbox", name="Födelsedatum").fill(birth)
    page.get_by_role("textbox", name="Namn").fill(name)
    page.get_by_role("button", name="Sök").click()


def test_search_should_show_personnummer_name_type_and_id(
    page: Page, mock_sites: MockSites
) -> None:
    persons = mock_sites.records("rns")["persons"]
    holder = next(p for p in persons if p["id_type"] == "Reservnummer" and p["personnummer"])
    same_day = [p for p in persons if p["birth_date"] == holder["birth_date"]]
    open_as_demo(page, mock_sites, "rns", "/sok")
    _search(page, holder["birth_date"].replace("-", ""))
    table = page.get_by_role("table", name="Sökresultat")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Personnummer", "Namn", "Typ av id", "ID"]
    )
    expect(table.get_by_role("row")).to_have_count(len(same_day) + 1)
    row = table.get_by_role("row").filter(has_text=holder["id_value"])
    expect(row.get_by_role("cell")).to_have_text(
        [
            holder["personnummer"],
            f"{holder['family_name']}, {holder['given_names']}",
            "Reservnummer",
            holder["id_value"],
        ]
    )


def test_samordningsnummer_holder_should_be_found_by_real_birth_date(
    page: Page, mock_sites: MockSites
) -> None:
    holder = next(
        p for p in mock_sites.records("rns")["persons"] if p["id_type"] == "Samordningsnummer"
    )
    open_as_demo(page, mock_sites, "rns", "/sok")
    _search(page, holder["birth_date"].replace("-", ""))
    row = page.get_by_role("row").filter(has_text=holder["id_value"])
    expect(row.get_by_role("cell").nth(0)).to_have_text(holder["id_value"])
    expect(row.get_by_role("cell").nth(2)).to_have_text("Samordningsnummer")


def test_name_filter_should_ignore_case_and_accents(page: Page, mock_sites: MockSites) -> None:
    persons = mock_sites.records("rns")["persons"]
    person = next(p for p in persons if re.search("[åäöéüÅÄÖÉÜ]", p["family_name"]))
    folded = person["family_name"].lower().translate(str.maketrans("åäöéü", "aaoeu"))
    open_as_demo(page, mock_sites, "rns", "/sok")
    _search(page, person["birth_date"].replace("-", ""), folded.upper())
    rows = page.get_by_role("table", name="Sökresultat").get_by_role("row")
    expect(rows.filter(has_text=person["id_value"])).to_have_count(1)
    expected = sum(
        1
        for p in persons
        if p["birth_date"] == person["birth_date"]
        and folded
        in p["family_name"].lower().translate(str.maketrans("åäöéü", "aaoeu"))
        + " "
        + p["given_names"].lower().translate(str.maketrans("åäöéü", "aaoeu"))
    )
    expect(rows).to_have_count(expected + 1)


def test_search_without_hits_should_say_inga_traffar(page: Page, mock_sites: MockSites) -> None:
    open_as_demo(page, mock_sites, "rns", "/sok")
    _search(page, "18990101")
    expect(page.get_by_text("Inga träffar")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)


def test_search_with_impossible_date_should_show_error(page: Page, mock_sites: MockSites) -> None:
    open_as_demo(page, mock_sites, "rns", "/sok")
    _search(page, "20230230")
    expect(page.get_by_role("alert")).to_contain_text("Födelsedatum är inte ett giltigt datum")
    expect(page.get_by_role("table")).to_have_count(0)


def _create(page: Page, birth: str, sex: str, family: str, given: str) -> None:
    page.get_by_role("link", name="Skapa reservnummer").click()
    page.get_by_role("textbox", name="Födelsedatum").fill(birth)
    page.get_by_role("radio", name=sex).check()
    page.get_by_role("textbox", name="Efternamn").fill(family)
    page.get_by_role("textbox", name="Förnamn").fill(given)
    page.get_by_role("button", name="Skapa").click()


def test_created_reservnummer_should_be_selectable_and_found_again(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "rns", "/sok")
    _create(page, "20190304", "Kvinna", "Kovalenko", "Olena")
    expect(page.get_by_role("heading", name="Reservnummer skapat")).to_be_visible()
    number_box = page.get_by_role("textbox", name="Reservnummer")
    expect(number_box).to_have_attribute("readonly", "")
    number = number_box.input_value()
    assert re.fullmatch(r"20190304-[0-9]{2}K[0-9]", number)  # Region Gävleborg's published shape
    assert luhn_valid(number[:8] + number[9:11] + number[12])  # the mock's own check digit
    number_box.focus()
    page.keyboard.press("Control+A")
    selected = page.evaluate(
        "() => { const e = document.activeElement; "
        "return e.value.substring(e.selectionStart, e.selectionEnd); }"
    )
    assert selected == number
    _search(page, "20190304", "olena")
    row = page.get_by_role("row").filter(has_text=number)
    expect(row.get_by_role("cell")).to_have_text(["", "Kovalenko, Olena", "Reservnummer", number])
    created = [p for p in fresh_mock_sites.records("rns")["persons"] if p["id_value"] == number]
    assert created[0] | {"created_at": ""} == {
        "birth_date": "2019-03-04",
        "sex": "K",
        "family_name": "Kovalenko",
        "given_names": "Olena",
        "personnummer": None,
        "id_type": "Reservnummer",
        "id_value": number,
        "created_at": "",
        "created_by": "demo",
        "changed_by": "demo",
    }


def test_second_reservnummer_for_same_person_should_get_next_serial(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "rns", "/sok")
    _create(page, "19770707", "Man", "Haddad", "Omar")
    first = page.get_by_role("textbox", name="Reservnummer").input_value()
    _create(page, "19770707", "Man", "Haddad", "Omar")
    second = page.get_by_role("textbox", name="Reservnummer").input_value()
    assert second != first
    assert int(second[9:11]) == int(first[9:11]) + 1
    assert second[11] == "M"


def test_create_with_impossible_or_future_date_should_be_refused(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    before = fresh_mock_sites.records("rns")
    open_as_demo(page, fresh_mock_sites, "rns", "/sok")
    _create(page, "19991332", "Man", "Haddad", "Omar")
    expect(page.get_by_role("alert")).to_contain_text("inte ett giltigt datum")
    future = f"{date.today().year + 1}0101"
    page.get_by_role("textbox", name="Födelsedatum").fill(future)
    page.get_by_role("button", name="Skapa").click()
    expect(page.get_by_role("alert")).to_contain_text("kan inte vara i framtiden")
    assert fresh_mock_sites.records("rns") == before


def test_manual_page_should_be_in_swedish(page: Page, mock_sites: MockSites) -> None:
    open_as_demo(page, mock_sites, "rns", "/sok")
    page.get_by_role("link", name="Manual").click()
    expect(page.get_by_role("heading", name="Manual", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Sök innan du skapar")).to_be_visible()
