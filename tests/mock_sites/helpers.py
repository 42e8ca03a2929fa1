"""Small steps the mock-site tests share (what a person does on every site)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from mock_sites.testing import SITES, MockSites, Site

DEMO_PASSWORD = "demo"  # the documented demo user of the mock sites


def log_in(
    page: Page,
    base_url: str,
    path: str = "/",
    *,
    username: str = "demo",
    password: str = DEMO_PASSWORD,
) -> None:
    """Open ``path`` on the site and log in on the login page it redirects to."""
    page.goto(base_url + path)
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("link", name="Logga ut")).to_be_visible()


def _session_cookie(base_url: str) -> tuple[str, str]:
    """A fresh session cookie of the demo user on one site, logged in over HTTP.

    Fresh every time (a few milliseconds): a session kept for the whole test run would expire
    at the site's idle timeout when the suite runs long on a slow machine.
    """
    with httpx.Client(base_url=base_url, trust_env=False) as client:
        response = client.post("/login", data={"username": "demo", "password": DEMO_PASSWORD})
        assert response.status_code == 303, response.text
        name, value = next(iter(client.cookies.items()))
    return name, value


def open_as_demo(page: Page, sites: MockSites, site: Site, path: str = "/") -> None:
    """Open ``path`` already logged in (the login form itself is tested in test_login.py)."""
    cookies = []
    for each in SITES:
        name, value = _session_cookie(sites.url(each))
        cookies.append({"name": name, "value": value, "url": sites.url(each)})
    page.context.add_cookies(cookies)  # type: ignore[arg-type]
    page.goto(sites.url(site) + path)
    expect(page.get_by_role("link", name="Logga ut")).to_be_visible()


def demo_client(sites: MockSites, site: Site) -> httpx.Client:
    """An HTTP client logged in as the demo user (for checks that need no browser)."""
    name, value = _session_cookie(sites.url(site))
    return httpx.Client(base_url=sites.url(site), cookies={name: value}, trust_env=False)
