"""Readable at 200 % zoom, a label on every field, usable from the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.ui.conftest import UiServer
from tests.ui.helpers import Screens, tab_to

PAGES = {"registrera": "", "komplettera": "komplettera", "att-hantera": "att-hantera"}


@pytest.mark.parametrize("name", list(PAGES))
def test_screen_reflows_without_sideways_scrolling_at_200_percent_zoom(
    browser: Browser, ui_server: UiServer, screens: Screens, name: str
) -> None:
    # 200 % zoom of a 1280 px wide window: 640 CSS pixels, each drawn as 2x2 device pixels.
    context = browser.new_context(
        viewport={"width": 640, "height": 900}, device_scale_factor=2, locale="sv-SE"
    )
    try:
        page = context.new_page()
        page.goto(ui_server.url_with_token)
        page.goto(ui_server.base_url + PAGES[name])
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 200 %"
        controls = "input:visible, select:visible, textarea:visible, button:visible"
        for locator in page.locator(controls).all():
            box = locator.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 640, f"{name}: overflows"
        screens.shot(
            page,
            f"8{list(PAGES).index(name)}-{name}-200-procent",
            f"{name} vid 200 % zoom: allt ryms utan sidledsrullning.",
        )
    finally:
        context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_every_form_field_has_a_label(app_page: Page, ui_server: UiServer, name: str) -> None:
    page = app_page
    page.goto(ui_server.base_url + PAGES[name])
    fields = page.locator(
        "input:not([type=hidden]):visible, select:visible, textarea:visible"
    ).all()
    for field in fields:
        expect(field).to_have_accessible_name(re.compile(r"\S"))


def test_skip_link_and_menu_work_from_the_keyboard(app_page: Page) -> None:
    page = app_page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    tab_to(page, "a[href='/komplettera']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Komplettera personnummer")).to_be_visible()
    tab_to(page, "#f-identity_checked")
    page.keyboard.press("Space")
    expect(page.get_by_label("Identiteten och handlingen är kontrollerade")).to_be_checked()
