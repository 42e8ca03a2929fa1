"""The result page's clipboard line tells what the OS clipboard holds now (issue 24, point 1).

Two result pages open: only the last Patient-ID is on the clipboard, and the earlier page must
say that its ID has been overwritten and offer Kopiera, never "finns i urklipp". Real X
clipboard (Xvfb + xclip), real app, real mock sites, and a headed Chromium on the X display,
as the clerk's browser is (a headless one keeps "Kopiera" on a clipboard of its own).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, BrowserType, Page, expect

from mock_sites.testing import MockSites
from robot.clipboard import read_system, write_system
from tests.ui.conftest import UiServer
from tests.ui.forms import REGISTERED, expect_outcome, fill_registration, submit_registration
from tests.ui.helpers import new_person

HOLDS_IT = re.compile(r"^Patient-ID finns i urklipp \(lades där kl\. \d\d:\d\d\)")
OVERWRITTEN = re.compile(r"^Urklipp innehåller inte längre detta Patient-ID")


@pytest.fixture
def headed_app(
    browser_type: BrowserType,
    browser_type_launch_args: dict[str, Any],
    browser_context_args: dict[str, Any],
    ui_server: UiServer,
    x_display: str,
) -> Iterator[BrowserContext]:
    """The clerk's browser: headed on the X display, the app opened with the token."""
    # The Playwright driver may have started before the display: hand the browser its DISPLAY.
    env = {**os.environ, "DISPLAY": x_display}
    browser = browser_type.launch(**{**browser_type_launch_args, "headless": False, "env": env})
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(ui_server.url_with_token)
    expect(page).to_have_url(ui_server.base_url)
    try:
        yield context
    finally:
        context.close()
        browser.close()


def _register(page: Page, sites: MockSites) -> str:
    fill_registration(page, new_person(sites, sex="K"))
    submit_registration(page)
    expect_outcome(page, REGISTERED)
    return page.get_by_label("Patient-ID").input_value()


@pytest.mark.e2e
@pytest.mark.xvfb
def test_earlier_result_page_should_say_its_id_was_overwritten_and_offer_kopiera(
    headed_app: BrowserContext, fresh_mock_sites: MockSites, ui_server: UiServer
) -> None:
    context = headed_app
    first_page = context.pages[0]
    first_id = _register(first_page, fresh_mock_sites)
    note = first_page.locator("#clipboard-note")
    expect(note).to_have_text(HOLDS_IT)
    assert read_system() == first_id

    second_page = context.new_page()
    second_page.goto(ui_server.base_url)
    second_id = _register(second_page, fresh_mock_sites)
    assert second_id != first_id
    expect(second_page.locator("#clipboard-note")).to_have_text(HOLDS_IT)
    assert read_system() == second_id

    # The first page, looked at again, no longer claims the clipboard holds its ID.
    first_page.bring_to_front()
    expect(note).to_have_text(OVERWRITTEN)
    expect(note).to_contain_text("Tryck Kopiera")

    # Something the clerk copied elsewhere overwrites it too.
    first_page.get_by_role("button", name="Kopiera").click()
    expect(note).to_have_text(HOLDS_IT)
    assert read_system() == first_id
    write_system("något annat")
    expect(note).to_have_text(OVERWRITTEN)
    second_page.bring_to_front()
    expect(second_page.locator("#clipboard-note")).to_have_text(OVERWRITTEN)
