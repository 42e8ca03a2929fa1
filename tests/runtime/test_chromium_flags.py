"""The robot's Chromium flags, read from the real browser process's command line.

Chromium keeps only the last ``--disable-features`` switch. Playwright passes its own list and
the robot passes a merged one after it, so the last one must hold every feature Playwright
disables (read from a browser Playwright launched with no tuning, so a Playwright upgrade that
disables one more feature fails here) plus the robot's own.
"""

from __future__ import annotations

from collections.abc import Callable

import psutil
from playwright.sync_api import Browser, Playwright, expect

from robot.browser import BrowserSession
from robot.chromium import (
    ROBOT_ARGS,
    ROBOT_DISABLED_FEATURES,
    find_chromium,
    launch_args,
    robot_launch_args,
)
from robot.settings import Settings

_DISABLE = "--disable-features="


def _browser_processes() -> set[int]:
    """Chromium browser processes (not its renderers, GPU or zygotes) below this process."""
    found: set[int] = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            cmdline = proc.cmdline()
        except psutil.Error:
            continue
        if any(_DISABLE in arg for arg in cmdline) and not any(
            arg.startswith("--type=") for arg in cmdline
        ):
            found.add(proc.pid)
    return found


def _cmdline_of_browser_started_by(start: Callable[[], object]) -> list[str]:
    """The command line of the one browser process ``start()`` launched."""
    before = _browser_processes()
    start()
    (pid,) = _browser_processes() - before
    return psutil.Process(pid).cmdline()


def _disabled_switches(cmdline: list[str]) -> list[set[str]]:
    return [set(arg[len(_DISABLE) :].split(",")) for arg in cmdline if arg.startswith(_DISABLE)]


def test_robot_browser_keeps_playwrights_disabled_features_and_adds_its_own(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    plain: list[Browser] = []
    plain_cmdline = _cmdline_of_browser_started_by(
        lambda: plain.append(
            playwright.chromium.launch(executable_path=find_chromium(), args=launch_args())
        )
    )
    plain[0].close()
    # A plain Playwright browser: one switch, Playwright's own list.
    (playwright_features,) = _disabled_switches(plain_cmdline)
    assert {"PaintHolding", "HttpsUpgrades"} <= playwright_features

    session = BrowserSession(runtime_settings, playwright=playwright)
    cmdline = _cmdline_of_browser_started_by(session.start)
    with session:
        switches = _disabled_switches(cmdline)
        # The last switch is the one Chromium uses: it keeps Playwright's list and adds ours.
        last = switches[-1]
        missing = playwright_features - last
        assert not missing, f"add to PLAYWRIGHT_DISABLED_FEATURES: {sorted(missing)}"
        assert set(ROBOT_DISABLED_FEATURES) <= last
        assert all(earlier <= last for earlier in switches), "an earlier switch would be lost"
        ours = [arg for arg in robot_launch_args() if arg.startswith(_DISABLE)]
        assert [arg for arg in cmdline if arg.startswith(_DISABLE)][-1:] == ours
        assert set(ROBOT_ARGS) <= set(cmdline)

        # Pages still work under the tuning: a login (a POST and a redirect), a same-site
        # navigation, a script, in two contexts side by side.
        pmo = session.page("pmo")
        pmo.goto("/login")
        pmo.get_by_label("Användarnamn").fill("demo")
        pmo.get_by_role("button", name="Logga in").click()
        expect(pmo.get_by_role("heading", name="Välkommen")).to_be_visible()
        rns = session.page("rns")
        rns.goto("/plain")
        pmo.goto("/plain")
        pmo.locator("#go").click()
        expect(pmo.locator("#out")).to_have_text("klar")
        assert rns.evaluate("document.title + ' ' + navigator.language") == "Start sv-SE"
        assert session.context("rns").cookies() == []
