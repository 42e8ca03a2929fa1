"""Login, wrong login, return to the requested page, and logout on all three sites."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from mock_sites.testing import MockSites
from tests.mock_sites.helpers import log_in

SITES = ("pmo", "rns", "plexus")


@pytest.mark.parametrize("site", SITES)
def test_login_with_demo_user_should_show_logout_link(
    page: Page, mock_sites: MockSites, site: str
) -> None:
    log_in(page, mock_sites.url(site))  # type: ignore[arg-type]
    expect(page.get_by_role("link", name="Logga ut")).to_be_visible()


@pytest.mark.parametrize("site", SITES)
def test_wrong_password_should_show_swedish_error_and_stay_on_login(
    page: Page, mock_sites: MockSites, site: str
) -> None:
    page.goto(mock_sites.url(site) + "/login")  # type: ignore[arg-type]
    page.get_by_role("textbox", name="Användarnamn").fill("demo")
    page.get_by_role("textbox", name="Lösenord").fill("fel")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_have_text("Fel användarnamn eller lösenord. Försök igen.")
    expect(page.get_by_role("link", name="Logga ut")).to_have_count(0)


def test_page_without_session_should_redirect_to_login_and_back_after_login(
    page: Page, mock_sites: MockSites
) -> None:
    page.goto(mock_sites.pmo_url + "/sok?ar=1991&manad=1&dag=24")
    expect(page).to_have_url(
        mock_sites.pmo_url + "/login?next=%2Fsok%3Far%3D1991%26manad%3D1%26dag%3D24"
    )
    page.get_by_label("Användarnamn").fill("demo")
    page.get_by_label("Lösenord").fill("demo")
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(mock_sites.pmo_url + "/sok?ar=1991&manad=1&dag=24")
    expect(page.get_by_role("table", name="Sökresultat")).to_be_visible()


def test_login_should_not_redirect_to_another_site(page: Page, mock_sites: MockSites) -> None:
    page.goto(mock_sites.rns_url + "/login?next=http%3A%2F%2Fexample.org%2F")
    page.get_by_label("Användarnamn").fill("demo")
    page.get_by_label("Lösenord").fill("demo")
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(mock_sites.rns_url + "/sok")


def test_logout_should_end_the_session(page: Page, mock_sites: MockSites) -> None:
    log_in(page, mock_sites.rns_url, "/sok")
    page.get_by_role("link", name="Logga ut").click()
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()
    page.goto(mock_sites.rns_url + "/skapa")
    expect(page).to_have_url(mock_sites.rns_url + "/login?next=%2Fskapa")


def test_sessions_of_the_sites_should_be_separate(page: Page, mock_sites: MockSites) -> None:
    log_in(page, mock_sites.pmo_url, "/sok")
    page.goto(mock_sites.rns_url + "/sok")
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()
