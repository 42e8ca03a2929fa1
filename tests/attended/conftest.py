"""Fixtures for attended work as the clerk: an X display, and a clerk who types with xdotool.

``clerk`` types into the robot's own browser window with real X key events (``xdotool``), as a
person at the keyboard does: never through the robot's Playwright connection, which must not
even be able to see what is typed. Tests that need it are marked ``xvfb`` and skip with a clear
message when xdotool (``apt-get install xdotool``, done by ``./run``) or Xvfb is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from robot.display import virtual_display, xvfb_available

WINDOW_TIMEOUT_S = 30.0


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Wait for progress the robot reports (a bounded poll of its state, never a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.05)


@dataclass
class Clerk:
    """A person at the keyboard of the X display the robot's window is on."""

    display: str

    def _xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env={"DISPLAY": self.display, "PATH": "/usr/bin:/bin"},
            check=False,
        )
        return done.stdout

    def window(self, title: str) -> str:
        """The visible window whose title matches ``title`` (waits for it to appear)."""
        found: list[str] = []

        def shown() -> bool:
            found[:] = self._xdotool("search", "--onlyvisible", "--name", title).split()
            return bool(found)

        wait_until(shown, f"a window titled {title!r}", WINDOW_TIMEOUT_S)
        return found[-1]

    def sign_in(self, system: str, username: str, password: str, *, submit: bool = True) -> None:
        """Bring the robot's login window of ``system`` to the keyboard and type, as a person.

        The login page puts the cursor in Användarnamn (autofocus); Tab moves to Lösenord;
        Return signs in (``submit=False``: typed, but not sent).
        """
        window = self.window(f"^Logga in – {re.escape(system)}( |$)")
        self._xdotool("windowfocus", "--sync", window)
        self._xdotool("type", "--delay", "15", username)
        self._xdotool("key", "Tab")
        self._xdotool("type", "--delay", "15", password)
        if submit:
            self._xdotool("key", "Return")


@pytest.fixture(scope="session")
def clerk() -> Iterator[Clerk]:
    """A clerk at the keyboard of a display of this test process alone.

    Always a fresh Xvfb, even where ``DISPLAY`` is set (a desktop, or one Xvfb shared by every
    pytest-xdist worker): the clerk's key events go to the focused window, and another
    process's window must never be able to take that focus mid-password. While it runs,
    ``DISPLAY`` names it (the app's headed Chromium starts there); the old value is restored.
    """
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed (apt-get install xdotool): no X keyboard to type on")
    if not xvfb_available():
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    before = os.environ.pop("DISPLAY", None)
    try:
        with virtual_display() as display:
            yield Clerk(display)
    finally:
        if before is not None:
            os.environ["DISPLAY"] = before
