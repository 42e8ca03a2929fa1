"""BrowserSession against a real Chromium and a local site."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from robot.browser import BrowserSession, shared_playwright
from robot.chromium import find_chromium, launch_args
from robot.settings import Settings


class _DemoLogin:
    """LoginHandler for the local site's login wall."""

    def __init__(self) -> None:
        self.logins = 0

    def is_login_page(self, page: Page) -> bool:
        return page.url.endswith("/login")

    def login(self, page: Page) -> None:
        page.get_by_label("Användarnamn").fill("demo")
        page.get_by_role("button", name="Logga in").click()
        expect(page.get_by_role("heading", name="Välkommen")).to_be_visible()
        self.logins += 1


def test_session_gives_each_site_its_own_reused_context_with_swedish_locale(
    runtime_settings: Settings,
) -> None:
    with BrowserSession(runtime_settings) as session:
        pmo = session.page("pmo")
        assert session.page("pmo") is pmo
        assert session.context("pmo") is pmo.context
        rns = session.page("rns")
        assert rns.context is not pmo.context
        assert session.sites == ["pmo", "rns"]

        pmo.goto("/login")  # relative: base_url is the site's URL from settings
        pmo.get_by_label("Användarnamn").fill("demo")
        pmo.get_by_role("button", name="Logga in").click()
        expect(pmo.get_by_role("heading", name="Välkommen")).to_be_visible()
        assert [c["name"] for c in session.context("pmo").cookies()] == ["session"]
        assert session.context("rns").cookies() == []
        assert pmo.evaluate("navigator.language") == "sv-SE"


def test_session_contexts_may_read_and_write_the_browser_clipboard(
    runtime_settings: Settings,
) -> None:
    with BrowserSession(runtime_settings) as session:
        page = session.page("pmo")
        page.goto("/plain")
        text = page.evaluate(
            "async () => { await navigator.clipboard.writeText('201M7');"
            " return await navigator.clipboard.readText(); }"
        )
        assert text == "201M7"


def test_session_applies_the_configured_action_timeout(runtime_settings: Settings) -> None:
    settings = runtime_settings.model_copy(update={"timeout_ms": 300})
    with BrowserSession(settings) as session:
        page = session.page("pmo")
        page.goto("/plain")
        with pytest.raises(PlaywrightError, match="300ms"):
            page.click("#does-not-exist")


def test_ensure_logged_in_logs_in_again_after_the_session_expired(
    runtime_settings: Settings,
) -> None:
    handler = _DemoLogin()
    with BrowserSession(runtime_settings, login_handlers={"pmo": handler}) as session:
        page = session.page("pmo")
        page.goto("/")
        assert session.ensure_logged_in("pmo") is True
        assert session.ensure_logged_in("pmo") is False  # already logged in: nothing to do

        session.context("pmo").clear_cookies()  # the site forgets the session
        page.goto("/")
        assert page.url.endswith("/login")
        assert session.ensure_logged_in("pmo") is True
        expect(page.get_by_role("heading", name="Välkommen")).to_be_visible()
        assert handler.logins == 2


def test_closed_page_is_replaced_and_closed_context_starts_afresh(
    runtime_settings: Settings,
) -> None:
    with BrowserSession(runtime_settings) as session:
        first = session.page("pmo")
        first.close()
        second = session.page("pmo")
        assert second is not first and not second.is_closed()
        context = session.context("pmo")
        session.close_context("pmo")
        assert session.context("pmo") is not context


def test_memory_is_measured_for_this_browser_only_and_zero_after_close(
    runtime_settings: Settings,
) -> None:
    session = BrowserSession(runtime_settings)
    with session:
        session.page("pmo").goto("/plain")
        rss = session.memory_rss_bytes()
        pss = session.memory_pss_bytes()
        assert rss > 50_000_000  # a Chromium with one page uses far more than 50 MB
        assert 0 < pss <= rss
        with BrowserSession(runtime_settings) as other:
            other.page("pmo").goto("/plain")
            # Two browsers: each session counts its own tree, not both.
            assert session.memory_rss_bytes() < rss + other.memory_rss_bytes() * 0.5
    assert session.memory_rss_bytes() == 0
    with pytest.raises(RuntimeError, match="not started"):
        _ = session.browser
    session.close()  # idempotent


def test_sessions_in_one_thread_share_playwright_and_a_lent_one_is_not_stopped(
    runtime_settings: Settings,
) -> None:
    with shared_playwright() as playwright:
        with BrowserSession(runtime_settings, playwright=playwright) as lent:
            lent.page("pmo").goto("/plain")
        # The lender's Playwright still works after the session closed.
        browser = playwright.chromium.launch(
            executable_path=find_chromium(), args=launch_args(), headless=True
        )
        browser.close()
        # A default session in the same thread reuses the running Playwright instead of
        # failing with "Sync API inside the asyncio loop".
        with BrowserSession(runtime_settings) as shared:
            expect(shared.page("pmo")).to_have_url("about:blank")
