"""Keyboard activation in the page objects (``flows.pages.keyboard``: ``tick``, ``press_on``).

The robot ticks radio buttons with Space and presses submit buttons with Enter (no waiting for
the element to stand still), and reads back or falls back to Playwright's ``check``/``click``
whenever the keyboard did not reach the element. These tests drive a real Chromium page: each
case is one the keyboard path could get wrong (a ticked checkbox untoggled, a key sent to the
wrong element, a page that swallows the key).
"""

from __future__ import annotations

from playwright.sync_api import Page

from flows.pages.keyboard import press_on, tick
from flows.selectors import ScreenSelectors, parse_selectors

_SELECTORS = parse_selectors(
    "demo",
    {
        "site": {"login_path": "/login"},
        "login": {
            "username": {"role": "textbox", "name": "Användarnamn"},
            "password": {"label": "Lösenord"},
            "submit": {"role": "button", "name": "Logga in"},
            "error": {"role": "alert"},
        },
        "form": {
            "man": {"role": "radio", "name": "Man"},
            "kvinna": {"role": "radio", "name": "Kvinna"},
            "tolk": {"role": "checkbox", "name": "Tolk"},
            "stubborn": {"role": "radio", "name": "Envis"},
            "hidden": {"label": "Dold"},
            "name": {"role": "textbox", "name": "Namn"},
            "save": {"role": "button", "name": "Spara"},
            "off": {"role": "button", "name": "Avstängd"},
        },
    },
)

_FORM = """<!doctype html><title>t</title>
<form method="post" action="/spara" onsubmit="event.preventDefault(); window.sent.push(
  new FormData(this, event.submitter).get('knapp'))">
  <label><input type="radio" name="sex" value="M"> Man</label>
  <label><input type="radio" name="sex" value="K"> Kvinna</label>
  <label><input type="checkbox" name="tolk" checked> Tolk</label>
  <label><input type="radio" name="e" value="1" id="envis"> Envis</label>
  <label style="display:none"><input type="radio" name="d" value="1"> Dold</label>
  <label>Namn <input name="namn"></label>
  <button name="knapp" value="spara">Spara</button>
  <button name="knapp" value="av" disabled>Avstängd</button>
</form>
<script>
  window.sent = [];
  // A page that swallows Space on this radio button: only a click ticks it.
  document.getElementById("envis").addEventListener("keydown", e => {
    if (e.key === " ") e.preventDefault();
  });
  document.getElementById("envis").addEventListener("keyup", e => e.preventDefault());
</script>"""


def _form(page: Page) -> ScreenSelectors:
    page.set_content(_FORM)
    return _SELECTORS["form"]


def test_tick_should_tick_the_radio_button_and_no_other(page: Page) -> None:
    form = _form(page)

    tick(form.loc(page, "kvinna"))

    assert page.get_by_role("radio", name="Kvinna").is_checked()
    assert not page.get_by_role("radio", name="Man").is_checked()
    tick(form.loc(page, "man"))
    assert page.get_by_role("radio", name="Man").is_checked()
    assert not page.get_by_role("radio", name="Kvinna").is_checked()


def test_tick_should_leave_a_ticked_checkbox_ticked(page: Page) -> None:
    # Space toggles a checkbox: pressing it on a ticked one would untick it.
    form = _form(page)

    tick(form.loc(page, "tolk"))

    assert page.get_by_role("checkbox", name="Tolk").is_checked()


def test_tick_should_fall_back_to_a_click_when_the_page_swallows_the_key(page: Page) -> None:
    form = _form(page)

    tick(form.loc(page, "stubborn"))

    assert page.get_by_role("radio", name="Envis").is_checked()


def test_press_on_should_press_nothing_when_the_element_cannot_take_the_focus(
    page: Page,
) -> None:
    form = _form(page)
    page.get_by_role("textbox", name="Namn").fill("x")  # the focus is in the form

    pressed_disabled = press_on(form.loc(page, "off"), "Enter")
    pressed_hidden = press_on(form.loc(page, "hidden"), "Enter")

    assert (pressed_disabled, pressed_hidden) == (False, False)
    # Enter was never sent: it would have submitted the form from the Namn field.
    assert page.evaluate("window.sent") == []


def test_press_on_should_submit_with_the_button_that_was_pressed(page: Page) -> None:
    form = _form(page)

    pressed = press_on(form.loc(page, "save"), "Enter")

    assert pressed
    assert page.evaluate("window.sent") == ["spara"]
