"""Plexus: the user's name, "Mina favoriter", and adding Reservnummersystemet via IT-system."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import open_as_demo


def test_start_page_should_show_name_and_favourites_without_rns(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "plexus")
    expect(page.get_by_role("heading", name="Anna Demo")).to_be_visible()
    button = page.get_by_role("button", name="Mina favoriter")
    expect(button).to_have_attribute("aria-expanded", "false")
    favourites = page.get_by_role("region", name="Mina favoriter")
    expect(favourites).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(favourites.get_by_role("link")).to_have_text(["PMO", "Tidrapportering"])
    expect(favourites.get_by_role("link", name="Reservnummersystemet")).to_have_count(0)


def test_adding_rns_with_the_pen_should_give_a_link_opening_rns_in_new_tab(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    open_as_demo(page, fresh_mock_sites, "plexus")
    page.get_by_role("button", name="Mina favoriter").click()
    page.get_by_role("button", name="Redigera favoriter").click()
    expect(page.get_by_role("heading", name="IT-system")).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text="Reservnummersystemet")
    item.get_by_role("button", name="Lägg till").click()
    expect(page.get_by_role("status")).to_contain_text("Reservnummersystemet har lagts till")
    expect(item.get_by_role("button", name="Tillagd")).to_be_disabled()
    records = fresh_mock_sites.records("plexus")["favourites"]
    assert {(r["username"], r["system_key"]) for r in records if r["username"] == "demo"} == {
        ("demo", "pmo"),
        ("demo", "tid"),
        ("demo", "rns"),
    }
    page.get_by_role("link", name="Tillbaka till startsidan").click()
    page.get_by_role("button", name="Mina favoriter").click()
    link = page.get_by_role("region", name="Mina favoriter").get_by_role(
        "link", name="Reservnummersystemet"
    )
    expect(link).to_have_attribute("target", "_blank")
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    expect(popup).to_have_url(fresh_mock_sites.rns_url + "/sok")
    expect(popup.get_by_role("link", name="Skapa reservnummer")).to_be_visible()
    expect(page.get_by_role("heading", name="Anna Demo")).to_be_visible()  # Plexus stays open


def test_it_system_list_should_offer_every_system_and_filter_by_name(
    page: Page, mock_sites: MockSites
) -> None:
    open_as_demo(page, mock_sites, "plexus", "/it-system")
    systems = page.get_by_role("list", name="IT-system").get_by_role("listitem")
    expect(systems).to_have_count(5)
    expect(systems.filter(has_text="PMO").get_by_role("button", name="Tillagd")).to_be_disabled()
    page.get_by_role("textbox", name="Sök system").fill("reserv")
    page.get_by_role("button", name="Sök").click()
    expect(systems).to_have_count(1)
    expect(systems).to_contain_text("Reservnummersystemet")
