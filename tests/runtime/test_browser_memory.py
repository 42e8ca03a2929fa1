"""Pages that only navigate never give Chromium an idle moment to collect their garbage:
``BrowserSession.collect_garbage`` asks the pages whose heap has grown, and only those."""

from __future__ import annotations

from playwright.sync_api import Page, Playwright

from robot.browser import BrowserSession
from robot.settings import Settings

MB = 1024 * 1024
_HEAP = "() => performance.memory.usedJSHeapSize"
# About 40 MB that outlives the young generation (1 MB arrays go straight to the old one) and
# is then dropped: garbage only a full collection frees, as a finished document leaves.
_KEEP = """() => {
  window.kept = [];
  for (let i = 0; i < 40; i++) kept.push(new Array(128 * 1024).fill(i + 0.5));
}"""
_DROP = "() => { window.kept = null; }"


def _heap(page: Page) -> int:
    used: int = page.evaluate(_HEAP)
    return used


def test_collect_garbage_should_shrink_only_the_pages_over_the_limit(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    with BrowserSession(runtime_settings, playwright=playwright) as session:
        littered, tidy = session.page("pmo"), session.page("rns")
        for page in (littered, tidy):
            page.set_content("<p>Sök patient</p>")
        littered.evaluate(_KEEP)
        littered.evaluate(_DROP)
        before = {"littered": _heap(littered), "tidy": _heap(tidy)}
        assert before["littered"] > 24 * MB > before["tidy"], before

        asked = session.collect_garbage(over_bytes=24 * MB)

        assert asked == 1
        assert _heap(littered) < 24 * MB
        assert session.collect_garbage(over_bytes=24 * MB) == 0  # nothing left to ask
