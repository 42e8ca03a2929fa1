"""The system clipboard through a real X clipboard under Xvfb, and the choice of transfer mode."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from playwright.sync_api import Playwright, expect

from robot.browser import BrowserSession
from robot.clipboard import (
    ClipboardError,
    read_system,
    resolve_transfer_mode,
    system_clipboard_available,
    system_clipboard_problem,
    write_system,
)
from robot.errors import ConfigError
from robot.settings import Settings

PATIENT_ID = "19612121201M7"  # the routine's printed example, not a person


def _xclip_out() -> str:
    return subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"], capture_output=True, timeout=5, check=True
    ).stdout.decode()


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.mark.xvfb
@pytest.mark.usefixtures("x_display")
def test_write_system_puts_text_on_the_x_clipboard_and_read_system_reads_it() -> None:
    write_system(PATIENT_ID)
    assert _xclip_out() == PATIENT_ID
    write_system("Gävle åäö")
    assert read_system() == "Gävle åäö"


@pytest.mark.xvfb
@pytest.mark.usefixtures("x_display")
def test_text_written_is_on_the_clipboard_as_soon_as_write_system_returns() -> None:
    # xclip serves the selection from a background process that takes ownership a moment after
    # the command returns; write_system waits for it, so an immediate paste is never stale.
    stale = []
    for n in range(40):
        write_system(f"värde {n}")
        if _xclip_out() != f"värde {n}":
            stale.append(n)
    assert stale == []


@pytest.mark.xvfb
@pytest.mark.usefixtures("x_display")
def test_write_system_does_not_keep_the_callers_output_open() -> None:
    # pyperclip's xclip copy leaves the background xclip holding stdout, so a caller reading
    # our output (a pipe, subprocess.run) would wait until the clipboard changes hands.
    result = subprocess.run(
        [sys.executable, "-c", "from robot.clipboard import write_system; write_system('x')"],
        capture_output=True,
        timeout=10,
        check=True,
    )
    assert result.stdout == b""
    assert _xclip_out() == "x"


@pytest.mark.xvfb
@pytest.mark.usefixtures("x_display")
def test_ctrl_c_in_a_headed_chromium_reaches_the_system_clipboard_and_ctrl_v_reads_it(
    runtime_settings: Settings, playwright: Playwright
) -> None:
    settings = runtime_settings.model_copy(update={"headless": False})
    assert resolve_transfer_mode("auto", headless=False) == "system"
    with BrowserSession(settings, playwright=playwright) as session:
        page = session.page("rns")
        page.goto("/plain")
        field = page.get_by_label("Patient-ID")
        field.fill(PATIENT_ID)
        field.select_text()
        page.keyboard.press("Control+C")
        # Chromium answers X selection requests from its browser process: wait until it owns
        # the clipboard with our text, then read it from outside the browser.
        page.wait_for_function(
            f"async () => (await navigator.clipboard.readText()) === '{PATIENT_ID}'"
        )
        assert read_system() == PATIENT_ID
        assert _xclip_out() == PATIENT_ID

        write_system("19700101202K3")
        field.fill("")
        field.focus()
        page.keyboard.press("Control+V")
        expect(field).to_have_value("19700101202K3")


@pytest.mark.xvfb
@pytest.mark.usefixtures("x_display")
def test_auto_mode_picks_system_when_headed_and_browser_when_headless() -> None:
    assert system_clipboard_available()
    assert resolve_transfer_mode("auto", headless=False) == "system"
    assert resolve_transfer_mode("auto", headless=True) == "browser"
    assert resolve_transfer_mode("system", headless=False) == "system"


def test_explicit_browser_and_fill_modes_are_returned_as_they_are(no_display: None) -> None:
    assert resolve_transfer_mode("browser", headless=True) == "browser"
    assert resolve_transfer_mode("fill", headless=False) == "fill"


def test_system_mode_in_a_headless_browser_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="headless"):
        resolve_transfer_mode("system", headless=True)


def test_without_a_display_the_clipboard_is_unavailable_and_system_mode_refused(
    no_display: None,
) -> None:
    assert not system_clipboard_available()
    assert "DISPLAY" in (system_clipboard_problem() or "")
    assert resolve_transfer_mode("auto", headless=False) == "browser"
    with pytest.raises(ConfigError, match="DISPLAY saknas"):
        resolve_transfer_mode("system", headless=False)
    with pytest.raises(ClipboardError):
        read_system()
    with pytest.raises(ClipboardError):
        write_system(PATIENT_ID)


def test_a_display_that_does_not_answer_is_reported_quickly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if shutil.which("xclip") is None:
        pytest.skip("xclip is not installed")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":250")  # no X server there
    started = time.monotonic()
    problem = system_clipboard_problem()
    assert problem is not None and "xclip" in problem
    assert time.monotonic() - started < 3
