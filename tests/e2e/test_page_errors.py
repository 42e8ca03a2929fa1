"""Playwright's errors never leave a page object untranslated (``flows.pages.errors``).

A Playwright upgrade that changes its error types, or a new page-object method that forgets
the wrapper, must fail here rather than show "TimeoutError" to staff or turn a missing
element into an unknown error. The pages are real Chromium pages; the selectors are the
project's own selector file for PMO.
"""

from __future__ import annotations

import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import is_dataclass
from importlib import import_module

import pytest
from playwright.sync_api import BrowserContext, Page, Route
from pydantic import SecretStr

import flows.pages
from flows.pages.errors import page_call
from flows.pages.login import LoginPage, RefusedLogins
from flows.pages.pmo_form import PmoPatientForm
from flows.pages.pmo_search import PmoSearchPage
from flows.pages.rns_create import RnsResultPage
from flows.pages.site import SiteUI
from flows.pages.tables import read_results
from flows.rules.model import Sex
from flows.rules.screens import FormValues
from flows.selectors import SiteSelectors, load_selectors
from flows.transfer import BrowserTransfer, copy_number
from robot.errors import SelectorMissing, SiteError
from robot.settings import DEFAULT_CONFIG_DIR

pytestmark = pytest.mark.e2e

SELECTORS = load_selectors(DEFAULT_CONFIG_DIR / "selectors", "pmo_a")
RNS_SELECTORS = load_selectors(DEFAULT_CONFIG_DIR / "selectors", "rns")
BASE = "http://pmo.robot.test"

# PMO's form with the Man/Kvinna radio buttons but without the "Efternamn" field.
_FORM_WITHOUT_FAMILY_NAME = """<!doctype html><title>Registrera</title>
<form method="post" action="/spara">
  <label><input type="radio" name="sex" value="M"> Man</label>
  <label><input type="radio" name="sex" value="K"> Kvinna</label>
  <label>Förnamn <input name="fornamn"></label>
</form>"""
# PMO's start page: a navigation link to the search, no search form.
_START = """<!doctype html><title>PMO</title>
<nav><a href="/sok">Sök patient</a> <a href="/registrera">Registrera</a></nav>"""


def _site(page: Page, site: str = "pmo", selectors: SiteSelectors = SELECTORS) -> SiteUI:
    login = LoginPage(site=site, selectors=selectors, username="u", password=SecretStr("p"))
    return SiteUI(
        site=site, page_factory=lambda: page, base_url=BASE, selectors=selectors, login=login
    )


def _give_up_quickly(page: Page) -> None:
    """Every test here waits for something that never comes, and asserts only the error it
    ends with: the page's waits give up after half a second (set after the page is loaded)."""
    page.set_default_timeout(500)
    page.set_default_navigation_timeout(500)


def _page_object_classes() -> list[type]:
    """Every class of the page-object modules that drives a page (not an error, a record, a
    file marker, or selectors)."""
    found: list[type] = []
    for info in pkgutil.iter_modules(flows.pages.__path__):
        module = import_module(f"flows.pages.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or issubclass(cls, BaseException):
                continue
            if is_dataclass(cls) or cls is RefusedLogins or cls.__name__.startswith("_"):
                continue
            found.append(cls)
    return found


def test_every_public_page_object_method_should_translate_playwright_errors() -> None:
    classes = _page_object_classes()
    names = {cls.__name__ for cls in classes}
    # The walk finds the page objects (a rename must not empty this test).
    assert {"SiteUI", "PmoSearchPage", "PmoPatientForm", "RnsCreatePage", "LoginPage"} <= names

    unwrapped = [
        f"{cls.__name__}.{name}"
        for cls in classes
        for name, member in vars(cls).items()
        if not name.startswith("_")
        and inspect.isfunction(member)
        and not getattr(member, "__page_call__", False)
    ]

    assert unwrapped == []


def test_page_call_should_mark_what_it_wraps() -> None:
    # The check above reads this mark: a wrapper that lost it would let everything pass.
    class Probe:
        site = "pmo"

        @page_call
        def wrapped(self) -> None: ...

        def plain(self) -> None: ...

    assert getattr(Probe.wrapped, "__page_call__", False)
    assert not getattr(Probe.plain, "__page_call__", False)


def test_a_missing_field_should_be_selector_missing_naming_its_key(page: Page) -> None:
    page.set_content(_FORM_WITHOUT_FAMILY_NAME)
    _give_up_quickly(page)
    form = PmoPatientForm(_site(page))

    with pytest.raises(SelectorMissing) as caught:
        form.fill(FormValues(sex=Sex.KVINNA, family_name="Testsson", given_names="Test"))

    assert caught.value.code == "selector_missing"
    assert caught.value.message.startswith(
        "PMO: elementet pmo_a.form.family_name (textbox 'Efternamn') visades inte i tid."
    )
    assert "Timeout" not in caught.value.message
    # The radio button before it was ticked: the error names the field that failed, not the
    # last one that worked.
    assert page.get_by_role("radio", name="Kvinna").is_checked()


def test_a_closed_page_should_be_a_site_error(context: BrowserContext) -> None:
    page = context.new_page()
    form = PmoPatientForm(_site(page))
    page.close()

    with pytest.raises(SiteError) as caught:
        form.patient_id_value()

    assert caught.value.code == "site_unreachable"
    assert caught.value.message.startswith("Webbläsaren kom inte fram till PMO")


def test_a_page_that_never_comes_should_be_the_sites_timeout_not_a_missing_element(
    page: Page,
) -> None:
    # The start page loads; the search page behind its link never answers. The navigation
    # link was the element in hand when the wait began, but the wait is the site's.
    def serve(route: Route) -> None:
        if route.request.url.rstrip("/") == BASE:
            route.fulfill(content_type="text/html; charset=utf-8", body=_START)
        # anything else: never answered

    page.route(lambda url: url.startswith(BASE), serve)
    page.goto(BASE + "/")
    _give_up_quickly(page)
    search = PmoSearchPage(_site(page))

    with pytest.raises(SiteError) as caught:
        search.open()

    assert (caught.value.code, caught.value.message) == ("site_timeout", "PMO svarade inte i tid.")
    assert not isinstance(caught.value, SelectorMissing)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda form: form.read_values(["family_name"]), id="read_values"),
        pytest.param(lambda form: form.leave_patient_id(), id="leave_patient_id"),
    ],
)
def test_no_playwright_error_should_leave_a_form_method(
    page: Page, call: Callable[[PmoPatientForm], object]
) -> None:
    page.set_content(_FORM_WITHOUT_FAMILY_NAME)
    _give_up_quickly(page)
    form = PmoPatientForm(_site(page))

    with pytest.raises(SelectorMissing) as caught:
        call(form)

    assert "pmo_a.form." in caught.value.message


def test_the_copy_step_should_name_the_number_it_could_not_find(page: Page) -> None:
    # The number was read a moment ago, then the page changed: the copy step (no page object,
    # the transfer's keyboard and clipboard) still names the element it looked for.
    page.set_content("<!doctype html><title>Reservnummer</title><p>Något annat</p>")
    _give_up_quickly(page)
    source = RnsResultPage(_site(page, "rns", RNS_SELECTORS)).number_to_copy()

    with pytest.raises(SelectorMissing) as caught:
        copy_number(BrowserTransfer(), source, "19900101-R123", fresh=True)

    assert caught.value.message.startswith("Reservnummersystemet: elementet rns.result.number ")


# A result list that the page draws some time after it has loaded (a script, as single-page
# systems do), with the header labels of PMO's selector file.
_LATE_RESULTS = """<!doctype html><title>Sök patient</title><main></main>
<script>setTimeout(() => { document.querySelector("main").innerHTML =
  '<table aria-label="Sökresultat"><tr><th>Patient-ID</th><th>Namn</th><th>Kön</th></tr>' +
  '<tr><td>19800101-01M5</td><td>Sen, Svar</td><td>Man</td></tr></table>'; }, %d);</script>"""


@pytest.mark.parametrize(
    ("drawn_after_ms", "timeout_ms", "found"), [(900, 4_000, True), (900, 300, False)]
)
def test_a_screen_waits_as_long_as_the_settings_say_not_playwrights_five_seconds(
    page: Page, drawn_after_ms: int, timeout_ms: int, found: bool
) -> None:
    """What a screen must come to show is waited for with the site's configured timeout
    (``Settings.timeout_ms``, the context's default): a slow but working site is read, and a
    short setting gives up on time (an assertion's own 5 s would do neither)."""
    page.set_content(_LATE_RESULTS % drawn_after_ms)
    page.set_default_timeout(timeout_ms)
    screen = _site(page).screen("search")
    if found:
        [hit] = read_results(screen, page, site="pmo")
        assert hit["patient_id"] == "19800101-01M5"
    else:
        with pytest.raises(SelectorMissing, match="varken sökresultat"):
            read_results(screen, page, site="pmo")
