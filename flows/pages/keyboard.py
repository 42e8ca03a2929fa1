"""Keyboard activation: ticking a radio button with Space, pressing a button with Enter.

The one matching element, shown and enabled, takes the focus, so the key pressed next reaches
it and nothing else. Playwright's ``click`` and ``check`` first wait for the element to stand
still over two animation frames: 25-50 ms per click on a page that has just loaded (measured on
a 2-core VM), on every form of every registration. The keyboard path is two round trips and no
waiting; whenever the keyboard could not reach the element, Playwright's ``check``/``click``
does it (and then waits for it and reports what is wrong).

Helpers of the page objects: they run inside the calling page object's error zone
(``flows.pages.errors``), which names the element in hand when something times out.
"""

from __future__ import annotations

from playwright.sync_api import Locator

# "checked": a radio button or checkbox that is ticked already (pressing Space would untick a
# checkbox); "focused": it has the focus now; "no": anything else (no element, two, hidden,
# disabled, or the focus went elsewhere), and nothing is pressed.
_FOCUS_JS = """els => {
  if (els.length !== 1) return "no";
  const e = els[0];
  if (!e.isConnected || e.disabled || !e.checkVisibility({visibilityProperty: true})) return "no";
  if ((e.type === "radio" || e.type === "checkbox") && e.checked) return "checked";
  e.focus();
  return e.ownerDocument.activeElement === e ? "focused" : "no";
}"""
_CHECKED_JS = "els => els.length === 1 && els[0].checked === true"


def press_on(element: Locator, key: str) -> bool:
    """Focus ``element`` and press ``key`` on it, as a keyboard user does; False (and nothing
    pressed) when it is not one shown, enabled element that took the focus."""
    if element.evaluate_all(_FOCUS_JS) != "focused":
        return False
    element.page.keyboard.press(key)
    return True


def tick(box: Locator) -> None:
    """Tick a radio button (or checkbox): Space on it, and read back that it is ticked;
    Playwright's ``check`` when the keyboard could not reach it or the page did not take it."""
    state = box.evaluate_all(_FOCUS_JS)
    if state == "checked":
        return
    if state == "focused":
        box.page.keyboard.press("Space")
        if box.evaluate_all(_CHECKED_JS):
            return
    box.check()


def press_or_click(button: Locator) -> None:
    """Activate a button with Enter, or click it when it cannot take the focus."""
    if not press_on(button, "Enter"):
        button.click()
