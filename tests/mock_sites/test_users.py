"""Several staff accounts per site, and the systems' own log of who created and changed what.

The attended robot works in the clerk's own session; these tests show that the mock systems,
like the real ones, log the signed-in user (``created_by``, ``changed_by``) and show who is
signed in on every page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mock_sites.common.config import User, parse_user
from mock_sites.testing import MockSites
from tests.mock_sites.helpers import log_in
from tests.mock_sites.test_pmo_register import ROUTINE_EXAMPLE, fill_patient


def test_each_site_should_show_the_signed_in_user_on_every_page(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    for site in ("pmo", "rns", "plexus"):
        page.context.clear_cookies()
        log_in(page, fresh_mock_sites.url(site), username="bertil", password="bertil")
        expect(page.get_by_label("Inloggad användare")).to_have_text("bertil")
        expect(page.get_by_text("Inloggad som Bertil Exempel")).to_be_visible()


def test_pmo_should_log_who_created_and_who_changed_a_patient(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    log_in(page, fresh_mock_sites.pmo_url, "/registrera", username="bertil", password="bertil")
    fill_patient(page, ROUTINE_EXAMPLE)
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_label("Logg").locator("dd")).to_have_text(["bertil", "bertil"])

    page.context.clear_cookies()
    log_in(
        page,
        fresh_mock_sites.pmo_url,
        f"/patient/{ROUTINE_EXAMPLE}/andra",
        username="cecilia",
        password="cecilia",
    )
    page.get_by_role("textbox", name="Info").fill("Ändrad")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_label("Logg").locator("dd")).to_have_text(["bertil", "cecilia"])
    (saved,) = [
        p for p in fresh_mock_sites.records("pmo")["patients"] if p["patient_id"] == ROUTINE_EXAMPLE
    ]
    assert (saved["created_by"], saved["changed_by"]) == ("bertil", "cecilia")


def test_rns_should_log_who_created_a_reservnummer(page: Page, fresh_mock_sites: MockSites) -> None:
    log_in(page, fresh_mock_sites.rns_url, "/skapa", username="cecilia", password="cecilia")
    page.get_by_role("textbox", name="Födelsedatum").fill("2019-03-04")
    page.get_by_role("radio", name="Kvinna").check()
    page.get_by_role("textbox", name="Efternamn").fill("Kovalenko")
    page.get_by_role("textbox", name="Förnamn").fill("Olena")
    page.get_by_role("button", name="Skapa").click()
    number = page.get_by_role("textbox", name="Reservnummer").input_value()
    expect(page.get_by_text("Skapat av cecilia")).to_be_visible()
    (person,) = [p for p in fresh_mock_sites.records("rns")["persons"] if p["id_value"] == number]
    assert (person["created_by"], person["changed_by"]) == ("cecilia", "cecilia")


def test_a_drifted_login_page_should_show_the_password_as_a_plain_text_field(
    page: Page, fresh_mock_sites: MockSites
) -> None:
    page.goto(fresh_mock_sites.pmo_url + "/login")
    expect(page.get_by_label("Lösenord")).to_have_attribute("type", "password")
    fresh_mock_sites.set_faults("pmo", login_password_as_text=True)
    try:
        page.reload()
        expect(page.get_by_label("Lösenord")).to_have_attribute("type", "text")
    finally:  # the session's other tests share these sites
        fresh_mock_sites.set_faults("pmo", login_password_as_text=False)


def test_a_user_option_is_username_password_and_an_optional_display_name() -> None:
    assert parse_user("karin:hemligt:Karin Handläggare") == User(
        "karin", "hemligt", "Karin Handläggare"
    )
    assert parse_user("karin:a:b:c") == User("karin", "a", "b:c")
    assert parse_user("kim:pw") == User("kim", "pw", "kim")


@pytest.mark.parametrize("bad", ["kim", "kim:", ":pw"])
def test_a_user_option_without_name_or_password_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="username:password"):
        parse_user(bad)
