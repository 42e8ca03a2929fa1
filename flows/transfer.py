"""The copy-paste step: the Patient-ID travels from Reservnummersystemet to PMO.

The routine says: select the whole reservnummer, Ctrl+C, go to PMO, "Registrera", Ctrl+V into
Patient-ID ("pasting, not typing, keeps the format right"). The mode comes from settings:

- ``system``: select and Ctrl+C in the browser, read the operating system's clipboard
  (pyperclip) and check it holds exactly the number, then Ctrl+V in PMO. This is the routine
  as a person does it, and also works when PMO runs in another window. It needs a headed
  browser on a display; a headless browser has its own clipboard, so there the number is
  checked via the browser's clipboard, written to the OS clipboard with pyperclip, and pasted
  from the browser's clipboard.
- ``browser``: Ctrl+C / Ctrl+V through Chromium's own clipboard (clipboard permissions are
  granted to every context).
- ``fill``: type the number into the field.

Whatever the mode, the flow reads the field back and compares it with the number, and checks
PMO's red format marker; a transfer never decides that it worked.

The routine calls ``copy_number`` and ``paste_number``: they run a transfer (any ``Transfer``)
inside the page objects' error translation (``flows.pages.errors``), so Playwright's errors of
the keyboard and the clipboard leave as the project's, and the routine holds no browser code.
"""

from __future__ import annotations

import time
from typing import Protocol

from playwright.sync_api import Locator, Page

from flows.pages.errors import NamedElement, translated
from flows.pages.pmo_form import PmoPatientForm
from robot import clipboard
from robot.errors import VerificationFailed

SELECT_ALL = "ControlOrMeta+a"
COPY = "ControlOrMeta+c"
PASTE = "ControlOrMeta+v"
# How long the OS clipboard may take to show what the browser copied (X selections are
# handed over asynchronously); polled, never slept blindly.
_SYSTEM_CLIPBOARD_WAIT_S = 2.0


class Transfer(Protocol):
    """Moves a number from a screen in Reservnummersystemet into PMO's Patient-ID field."""

    mode: str

    def copy(self, source: Locator | None, number: str) -> None:
        """Select and copy ``number`` from ``source`` (None: the screen no longer shows it)."""
        ...

    def paste(self, form: PmoPatientForm, number: str) -> None:
        """Put the copied number into the form's Patient-ID field."""
        ...


def select_and_copy(source: Locator) -> None:
    """Select the whole number and press Ctrl+C, as the routine says.

    A read-only textbox is focused and Ctrl+A selects its whole value; other elements (a result
    table cell) get their text selected.
    """
    # One round trip each: evaluate_all needs no element handle, press focuses by itself.
    tags: list[str] = source.evaluate_all("els => els.map(e => e.tagName)")
    if tags[:1] in (["INPUT"], ["TEXTAREA"]):
        source.press(SELECT_ALL)
    else:
        source.select_text()
    source.page.keyboard.press(COPY)


def browser_clipboard_text(page: Page) -> str:
    """What the browser's clipboard holds, read in ``page`` (needs clipboard-read)."""
    text: str = page.evaluate("() => navigator.clipboard.readText()")
    return text


def write_browser_clipboard(page: Page, text: str) -> None:
    page.evaluate("t => navigator.clipboard.writeText(t)", text)


def paste_into(field: Locator) -> None:
    """Focus the field, select what is in it, and press Ctrl+V (``press`` focuses first)."""
    field.press(SELECT_ALL)
    field.press(PASTE)


def _copied_wrong(mode: str) -> VerificationFailed:
    return VerificationFailed(
        f"Urklippet innehåller inte reservnumret efter kopiering ({mode}).",
        code="clipboard_mismatch",
    )


class FillTransfer:
    """Types the number into the field (no clipboard)."""

    mode = "fill"

    def copy(self, source: Locator | None, number: str) -> None:
        return None

    def paste(self, form: PmoPatientForm, number: str) -> None:
        form.patient_id_field.fill(number)


class BrowserTransfer:
    """Ctrl+C / Ctrl+V through Chromium's own clipboard."""

    mode = "browser"

    def copy(self, source: Locator | None, number: str) -> None:
        if source is None:
            return  # put on the clipboard in paste(), in PMO's page
        select_and_copy(source)
        if browser_clipboard_text(source.page) != number:
            raise _copied_wrong(self.mode)

    def paste(self, form: PmoPatientForm, number: str) -> None:
        page = form.site.page
        if browser_clipboard_text(page) != number:
            write_browser_clipboard(page, number)
        paste_into(form.patient_id_field)


class SystemTransfer:
    """Ctrl+C in the browser, checked on the OS clipboard, Ctrl+V in PMO."""

    mode = "system"

    def __init__(self, *, headless: bool) -> None:
        self.headless = headless

    def copy(self, source: Locator | None, number: str) -> None:
        if source is None:
            clipboard.write_system(number)
        else:
            select_and_copy(source)
            if self.headless:
                # A headless browser's clipboard is its own: check it there, then hand the
                # number to the OS clipboard as the person's copy would have.
                if browser_clipboard_text(source.page) != number:
                    raise _copied_wrong(self.mode)
                clipboard.write_system(number)
        if not _wait_for_system_clipboard(number):
            raise _copied_wrong(self.mode)

    def paste(self, form: PmoPatientForm, number: str) -> None:
        if self.headless:
            write_browser_clipboard(form.site.page, clipboard.read_system())
        paste_into(form.patient_id_field)


def _wait_for_system_clipboard(expected: str) -> bool:
    deadline = time.monotonic() + _SYSTEM_CLIPBOARD_WAIT_S
    while True:
        if clipboard.read_system() == expected:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def copy_number(
    transfer: Transfer, source: NamedElement | None, number: str, *, fresh: bool
) -> None:
    """Copy ``number`` from ``source`` with ``transfer``, as the routine says.

    ``fresh``: ``source`` was read the moment before (the number just created), so it needs no
    look; otherwise a ``source`` that no longer shows exactly the number (the screen moved on,
    a retry) is dropped and the transfer puts the number on the clipboard itself.
    """
    with translated("rns"):
        element = source.take() if source is not None else None
        if element is not None and not fresh and not _shows(element, number):
            element = None
        transfer.copy(element, number)


def paste_number(transfer: Transfer, form: PmoPatientForm, number: str) -> None:
    """Paste the copied ``number`` into the form's Patient-ID field with ``transfer``."""
    with translated("pmo"):
        transfer.paste(form, number)


def _shows(locator: Locator, value: str) -> bool:
    """True when the element still shows exactly ``value`` (one round trip, never waits)."""
    try:
        shown: list[str] = locator.evaluate_all(
            "els => els.map(e => ('value' in e ? e.value : e.innerText).trim())"
        )
    except Exception:  # the page navigated away or closed
        return False
    return value in shown


def make_transfer(mode: str, *, headless: bool) -> Transfer:
    """The transfer for a resolved mode ("system", "browser" or "fill")."""
    if mode == "system":
        return SystemTransfer(headless=headless)
    if mode == "browser":
        return BrowserTransfer()
    if mode == "fill":
        return FillTransfer()
    raise ValueError(f"unknown transfer mode {mode!r}")
