"""Small steps the mock-site tests share (what a person does on every site)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

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
