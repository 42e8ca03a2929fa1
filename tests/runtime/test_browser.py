"""BrowserSession against a real Chromium and a local site.

Sessions here borrow pytest-playwright's session-wide ``playwright`` (only one sync Playwright
can run per thread, and other test modules keep that one running); the default, self-started
Playwright is tested in a thread of its own.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Playwright, expect, sync_playwright

from robot.browser import BrowserSession, shared_playwright
from robot.chromium import find_chromium, launch_args
from robot.settings import Settings


def test_session_gives_each_site_its_own_reused_context_with_swedish_locale(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    with BrowserSession(runtime_settings, playwright=playwright) as session:
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

        # The browser clipboard works without a permission prompt (the "browser" transfer).
        text = pmo.evaluate(
            "async () => { await navigator.clipboard.writeText('201M7');"
            " return await navigator.clipboard.readText(); }"
        )
        assert text == "201M7"


def test_session_applies_the_configured_action_timeout(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    settings = runtime_settings.model_copy(update={"timeout_ms": 300})
    with BrowserSession(settings, playwright=playwright) as session:
        page = session.page("pmo")
        page.goto("/plain")
        with pytest.raises(PlaywrightError, match="300ms"):
            page.click("#does-not-exist")


def test_closed_page_is_replaced_and_closed_context_starts_logged_out(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    with BrowserSession(runtime_settings, playwright=playwright) as session:
        page = session.page("pmo")
        page.goto("/login")
        page.get_by_label("Användarnamn").fill("demo")
        page.get_by_role("button", name="Logga in").click()
        expect(page.get_by_role("heading", name="Välkommen")).to_be_visible()
        assert session.context("pmo").cookies()

        # A closed page is replaced; a closed context starts afresh (logged out).
        page.close()
        assert session.page("pmo") is not page
        context = session.context("pmo")
        session.close_context("pmo")
        assert session.context("pmo") is not context
        assert session.context("pmo").cookies() == []


def test_memory_is_measured_per_browser_and_a_lent_playwright_outlives_the_session(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    session = BrowserSession(runtime_settings, playwright=playwright)
    with session:
        session.page("pmo").goto("/plain")
        rss = session.memory_rss_bytes()
        pss = session.memory_pss_bytes()
        assert rss > 50_000_000  # a Chromium with one page uses far more than 50 MB
        assert 0 < pss <= rss
        with BrowserSession(runtime_settings, playwright=playwright) as other:
            other.page("pmo").goto("/plain")
            # Two browsers at once: each session counts its own process tree only.
            assert session.memory_rss_bytes() < rss + other.memory_rss_bytes() * 0.5
    assert session.memory_rss_bytes() == 0
    with pytest.raises(RuntimeError, match="not started"):
        _ = session.browser
    session.close()  # idempotent
    # The lender's Playwright still works after the session closed.
    browser = playwright.chromium.launch(executable_path=find_chromium(), args=launch_args())
    assert browser.is_connected()
    browser.close()


def test_sessions_of_one_thread_share_one_playwright_stopped_after_the_last(
    runtime_settings: Settings,
) -> None:
    # In a thread of its own: no other Playwright runs there.
    seen: dict[str, object] = {}

    def work() -> None:
        try:
            with BrowserSession(runtime_settings) as first:
                with BrowserSession(runtime_settings) as second:
                    seen["same"] = first._playwright is second._playwright is not None
                    first.page("pmo").goto("/plain")
                    expect(second.page("pmo")).to_have_url("about:blank")
                used = first._playwright
            # The last session stopped it: the next use starts a new one.
            with shared_playwright() as again, BrowserSession(runtime_settings) as third:
                seen["fresh"] = third._playwright is again and again is not used
        except BaseException as exc:
            seen["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert "error" not in seen, seen.get("error")
    assert seen == {"same": True, "fresh": True}


def test_a_session_next_to_a_foreign_sync_playwright_says_how_to_fix_it(
    runtime_settings: Settings,
) -> None:
    seen: dict[str, BaseException] = {}

    def work() -> None:
        foreign = sync_playwright().start()  # e.g. pytest-playwright's, not from shared_playwright
        try:
            BrowserSession(runtime_settings).start()
        except BaseException as exc:
            seen["error"] = exc
        finally:
            foreign.stop()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert isinstance(seen.get("error"), RuntimeError)
    assert "Lend that Playwright" in str(seen["error"])
