"""The browser side of one site: its page, selectors, login and navigation.

Every navigation a page object makes goes through ``SiteUI.navigate``: it waits for the new
document, turns a server error page into ``SiteError``, and when the site shows its login page
instead (the session expired) it logs in again. The sites then return to the page that was
asked for, so a navigation that only reads (a search, a nav link) simply continues; a form
post cannot be trusted to have happened, so it raises ``SessionExpired`` after logging in and
the flow's retry redoes the step (checking first whether it was in fact done).

Playwright's own errors stop here, at the page-object boundary: every element a page object
gets from ``SiteUI.screen(...).loc(...)`` is a ``GuardedLocator``, which turns a Playwright
timeout into ``SelectorMissing`` and any other Playwright error into ``SiteError``, naming the
selector key (``pmo.search.year``, with ``LocatorSpec.describe()``), so no log or outcome says
"TimeoutError". Navigations are guarded the same way.

Long (about 470 lines) because every navigation and every locator of every page object passes
through it: the guarded locators that turn Playwright's errors into the project's live next to
the navigation they guard.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from flows.pages.login import LoginPage
from flows.pages.responses import check_response, site_name
from flows.selectors import ScreenSelectors, SiteSelectors
from robot.errors import SelectorMissing, SessionExpired, SiteError

# The address a GET form submission goes to: the form's action with the fields (and the
# submitter, when it has a name) as the query, exactly as the HTML standard builds it. None for
# any other form.
_GET_FORM_URL_JS = """b => {
  const f = b.form;
  if (!f || (f.getAttribute("method") || "get").toLowerCase() !== "get") return null;
  const url = new URL(f.action);
  url.search = new URLSearchParams(new FormData(f, b)).toString();
  return url.href;
}"""


@contextmanager
def playwright_errors(site: str, where: str | None = None) -> Iterator[None]:
    """Turn Playwright's errors inside the block into the project's, naming ``where``."""
    try:
        yield
    except PlaywrightTimeoutError as exc:
        if where is None:
            raise SiteError(f"{site_name(site)} svarade inte i tid.", code="site_timeout") from exc
        raise SelectorMissing(
            f"{site_name(site)}: elementet {where} visades inte i tid. Sidan kan ha ändrats "
            "(selektorfilen) eller systemet är långsamt.",
            code="selector_missing",
        ) from exc
    except PlaywrightError as exc:
        about = f" vid elementet {where}" if where else ""
        raise SiteError(
            f"Webbläsaren kom inte fram till {site_name(site)}{about}.", code="site_unreachable"
        ) from exc


class GuardedLocator(Locator):
    """A Playwright ``Locator`` whose errors name the selector key it was made from.

    Every method call goes through ``playwright_errors``; locators it returns (``first``,
    ``or_()``, ``get_by_role()``, ...) are guarded too. It stays a ``Locator`` for Playwright
    (``expect``, ``or_``), so page objects use it as they would the original.
    """

    def __init__(self, locator: Locator, *, site: str, where: str) -> None:
        super().__init__(locator._impl_obj)
        self._guard_site = site
        self._guard_where = where

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name.startswith("_"):
            return value
        site = super().__getattribute__("_guard_site")
        where = super().__getattribute__("_guard_where")
        if isinstance(value, Locator):  # a property such as ``first``
            return _guarded(value, site=site, where=where)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            with playwright_errors(site, where):
                result = value(*args, **kwargs)
            return _guarded(result, site=site, where=where)

        return call


def _guarded(value: Any, *, site: str, where: str) -> Any:
    if isinstance(value, Locator) and not isinstance(value, GuardedLocator):
        return GuardedLocator(value, site=site, where=where)
    return value


@dataclass(frozen=True)
class GuardedScreen(ScreenSelectors):
    """A screen's selectors whose locators are ``GuardedLocator``s named by their key.

    The key reads as ``<selector file>.<screen>.<key>`` (``pmo_a.search.month``): where to look.
    """

    system: str = ""

    @classmethod
    def of(cls, screen: ScreenSelectors, *, system: str) -> GuardedScreen:
        return cls(screen.site, screen.screen, screen.locators, screen.texts, screen.tables, system)

    def loc(self, root: Page | Locator, key: str) -> Locator:
        spec = self.spec(key)
        where = f"{self.site}.{self.screen}.{key} ({spec.describe()})"
        return GuardedLocator(spec.locate(root), site=self.system, where=where)


# Keyboard activation (``SiteUI.press_on`` and ``tick``): the one matching element, shown and
# enabled, takes the focus, so a key pressed next reaches it and nothing else. "checked": a
# radio button or checkbox that is ticked already (pressing Space would untick a checkbox);
# "focused": it has the focus now; "no": anything else (no element, two, hidden, disabled, or
# the focus went elsewhere), and nothing is pressed.
_FOCUS_JS = """els => {
  if (els.length !== 1) return "no";
  const e = els[0];
  if (!e.isConnected || e.disabled || !e.checkVisibility({visibilityProperty: true})) return "no";
  if ((e.type === "radio" || e.type === "checkbox") && e.checked) return "checked";
  e.focus();
  return e.ownerDocument.activeElement === e ? "focused" : "no";
}"""
_CHECKED_JS = "els => els.length === 1 && els[0].checked === true"

# A link's href and target attributes in one round trip ([] when the page has no such link).
_LINK_JS = """els => els.map(e => [e.getAttribute("href") || "", e.getAttribute("target") || ""])"""


def _link_target(link: Locator) -> tuple[str, str] | None:
    """The first matching link's (href, target), or None when the page has no such link."""
    found: list[list[str]] = link.evaluate_all(_LINK_JS)
    return (found[0][0], found[0][1]) if found else None


# The HTTP status of the document shown (0 or undefined when the browser does not say).
_NAVIGATION_STATUS_JS = """() => {
  const entry = performance.getEntriesByType("navigation")[0];
  return entry ? entry.responseStatus || 0 : 0;
}"""
# A GET form's action and fields in order (the submitter included, as the browser sends them);
# null for a POST form or a button outside a form.
_FORM_ENTRIES_JS = """els => els.map(b => {
  const f = b.form;
  if (!f || (f.getAttribute("method") || "get").toLowerCase() !== "get") return null;
  const url = new URL(f.action);
  url.search = "";
  return {action: url.href, entries: Array.from(new FormData(f, b).entries())};
})"""


@dataclass(frozen=True)
class _SearchAddress:
    """Where a GET search form sends its fields: ``entries`` in form order, ``keys`` naming
    the entries that hold a field the robot fills (query name -> field key)."""

    action: str
    entries: tuple[tuple[str, str], ...]
    keys: Mapping[str, str]

    def complete(self, values: Mapping[str, str]) -> bool:
        """True when every filled field is exactly one entry (safe to fill in by address)."""
        names = [n for n, _ in self.entries]
        return set(self.keys.values()) == set(values) and all(
            names.count(n) == 1 for n in self.keys
        )

    def url(self, values: Mapping[str, str]) -> str:
        """The address with ``values`` in place of the learned ones (none given: as learned)."""
        query = [(n, values.get(self.keys.get(n, ""), v)) for n, v in self.entries]
        return self.action + ("?" + urlencode(query) if query else "")


class SiteUI:
    """One site as the robot sees it. ``page`` may be swapped (Plexus opens RNS in a new tab)."""

    def __init__(
        self,
        *,
        site: str,
        page_factory: Callable[[], Page],
        base_url: str,
        selectors: SiteSelectors,
        login: LoginPage,
    ) -> None:
        self.site = site
        self.base_url = base_url.rstrip("/")
        self.selectors = selectors
        self.login = login
        self._page_factory = page_factory
        self._page: Page | None = None
        self._screens: dict[str, GuardedScreen] = {}
        # Per search screen: the address its GET form sends, learned on first use (``search``).
        self._searches: dict[str, _SearchAddress] = {}
        # A navigation started ahead by start_nav: (nav key, the address it left).
        self._started: tuple[str, str] | None = None

    @property
    def page(self) -> Page:
        """The site's current page (a new one from the factory if it was closed)."""
        if self._page is None or self._page.is_closed():
            self._page = self._page_factory()
        return self._page

    def has_page(self) -> bool:
        """True when the site has an open page (without creating one)."""
        return self._page is not None and not self._page.is_closed()

    def use_page(self, page: Page) -> None:
        """Drive the site in ``page`` from now on (e.g. the tab a Plexus favourite opened)."""
        self._page = page

    def screen(self, name: str) -> ScreenSelectors:
        """The selectors of screen ``name``; their locators are guarded (see ``GuardedLocator``)."""
        screen = self._screens.get(name)
        if screen is None:
            screen = self._screens[name] = GuardedScreen.of(self.selectors[name], system=self.site)
        return screen

    def on_site(self) -> bool:
        """True when the page shows a document of this site (not a blank or foreign page)."""
        url = urlsplit(self.page.url)
        base = urlsplit(self.base_url)
        return (url.scheme, url.netloc) == (base.scheme, base.netloc)

    def open_home(self) -> None:
        """Open the site's start page (logging in when needed)."""
        self.navigate(lambda: self.page.goto(self.base_url + "/", wait_until="domcontentloaded"))

    def navigate(self, action: Callable[[], object], *, resumable: bool = True) -> None:
        """Run ``action`` (which causes one navigation) and settle on the page it leads to.

        ``resumable``: the site returns to the requested page after a login (GET requests); for
        form posts pass False: after logging in again ``SessionExpired`` is raised.
        """
        page = self.page
        self._started = None  # a navigation started ahead (start_nav) is overtaken
        with playwright_errors(self.site):
            with page.expect_navigation(wait_until="domcontentloaded") as nav:
                action()
            response = nav.value
        check_response(response, site=self.site)
        if self.login.is_login_page(page):
            with playwright_errors(self.site, f"{self.site}.login"):
                self.login.login(page)
            if not resumable:
                raise SessionExpired(
                    f"Sessionen i {site_name(self.site)} hade gått ut; inloggad igen.",
                    code="session_expired",
                )
            if self.login.is_login_page(page):  # pragma: no cover - login() raises first
                raise SiteError(
                    f"{site_name(self.site)} visar fortfarande inloggningen.", code="login_failed"
                )

    def has_nav(self, key: str) -> bool:
        """True when the page shows the navigation link ``key`` (error pages have none)."""
        return self.screen("nav").loc(self.page, key).count() > 0

    def show_screen(self, screen: ScreenSelectors, marker: str, nav: str) -> None:
        """Make sure the screen whose element ``marker`` is visible is shown.

        Stays put when it already is (a site's start page may show it), follows the navigation
        link ``nav`` when the page has one, else opens the start page first.
        """
        if self.on_site() and not self.login.is_login_page(self.page):
            if screen.loc(self.page, marker).is_visible():
                return
            if self.has_nav(nav):
                self.click_nav(nav)
                return
        self.open_home()
        if not screen.loc(self.page, marker).is_visible():
            self.click_nav(nav)

    def click_nav(self, key: str) -> None:
        """Follow a navigation link (e.g. "Registrera"), opening the site first if needed.

        A blank page, the login page or an error page (which has no navigation) is left for
        the site's start page first.
        """
        started, self._started = self._started, None
        if started is not None and started[0] == key and self._arrive(started[1]):
            return
        link = self.screen("nav").loc(self.page, key)
        if self.on_site() and not self.login.is_login_page(self.page):
            target = _link_target(link)
            if target is not None:
                self._follow_target(link, target)
                return
        self.open_home()
        self.follow(link)

    def start_nav(self, key: str) -> None:
        """Start following the navigation link ``key`` and return at once.

        The page loads while the robot works in the other system; ``click_nav(key)`` then only
        waits for it (and logs in again if the site asks). Nothing is decided or sent by this
        (a GET of a screen, such as an empty form); it is only a head start. Without a plain
        link on this site's current page it does nothing, and ``click_nav`` loads as usual.
        """
        self._started = None
        if not self.has_page() or not self.on_site() or self.login.is_login_page(self.page):
            return
        try:
            target = _link_target(self.screen("nav").loc(self.page, key))
            if target is None:
                return
            href, window = target
            if not href or href.startswith(("javascript:", "#")) or window:
                return
            url = urljoin(self.page.url, href)
            if url == self.page.url:
                return
            before = self.page.url
            with playwright_errors(self.site):
                self.page.evaluate("u => { location.href = u; }", url)
        except SiteError:
            return  # click_nav will load it the usual way and report what is wrong
        self._started = (key, before)

    def _arrive(self, before: str) -> bool:
        """Wait for the navigation ``start_nav`` started; False when it did not happen."""
        page = self.page
        try:
            with playwright_errors(self.site):
                page.wait_for_url(lambda u: u != before, wait_until="domcontentloaded")
                status = page.evaluate(_NAVIGATION_STATUS_JS)
        except SiteError:
            return False
        if isinstance(status, int) and status >= 500:
            raise SiteError(
                f"{site_name(self.site)} svarade med tekniskt fel (HTTP {status}).",
                code="site_error",
            )
        if self.login.is_login_page(page):
            with playwright_errors(self.site, f"{self.site}.login"):
                self.login.login(page)  # the site returns to the page asked for (a GET)
        return True

    def press_on(self, element: Locator, key: str) -> bool:
        """Focus ``element`` and press ``key`` on it, as a keyboard user does; False (and
        nothing pressed) when it is not one shown, enabled element that took the focus.

        Two round trips and no waiting. Playwright's ``click`` and ``check`` first wait for the
        element to stand still over two animation frames: 25-50 ms per click on a page that
        has just loaded (measured on a 2-core VM), on every form of every registration.
        """
        if element.evaluate_all(_FOCUS_JS) != "focused":
            return False
        with playwright_errors(self.site):
            self.page.keyboard.press(key)
        return True

    def tick(self, box: Locator) -> None:
        """Tick a radio button (or checkbox): Space on it, and read back that it is ticked;
        Playwright's ``check`` (which waits for the element and checks too) when the keyboard
        could not reach it or the page did not take it."""
        state = box.evaluate_all(_FOCUS_JS)
        if state == "checked":
            return
        if state == "focused":
            with playwright_errors(self.site):
                self.page.keyboard.press("Space")
            if box.evaluate_all(_CHECKED_JS):
                return
        box.check()

    def _press_or_click(self, button: Locator) -> None:
        """Activate a button with Enter (the keyboard), or click it when it cannot take the
        focus (Playwright then waits for it and reports what is wrong)."""
        if not self.press_on(button, "Enter"):
            button.click()

    def follow(self, link: Locator) -> None:
        """Follow a link: go to the address it points to, as a click would.

        Chromium needs about 60 ms more for a navigation started by a (simulated or scripted)
        click on a link or a submit button than for one started by the browser, on every
        machine we measured (2-core VM: ~140 ms against ~70 ms). The request is the same (same
        address, referer set), so links are followed by their address. Links without a plain
        address (scripts, new tabs) are clicked.
        """
        self._follow_target(link, _link_target(link) or ("", ""))

    def _follow_target(self, link: Locator, target: tuple[str, str]) -> None:
        href, window = target
        if not href or href.startswith(("javascript:", "#")) or window:
            self.navigate(link.click)
            return
        self._goto(urljoin(self.page.url, href))

    def submit(self, button: Locator, *, resumable: bool = False, method: str = "") -> None:
        """Press a form's submit button and settle on the answer.

        A GET form (a search) is submitted by going to the address the browser would build
        from the form's fields (see ``follow`` for why); a POST form is clicked. ``method``
        from the selector file ("post") saves asking the page (one round trip per submit).
        """
        if method.lower() == "post":
            self.navigate(lambda: self._press_or_click(button), resumable=resumable)
            return
        urls: list[str | None] = button.evaluate_all(f"els => els.map({_GET_FORM_URL_JS})")
        if len(urls) > 1:
            raise SelectorMissing(f"{site_name(self.site)}: fler än en knapp matchar.")
        url = urls[0] if urls else None
        if url:
            self._goto(str(url), resumable=True)
        else:
            self.navigate(lambda: self._press_or_click(button), resumable=resumable)

    def search(
        self,
        screen: ScreenSelectors,
        values: Mapping[str, str],
        *,
        marker: str,
        nav: str,
        submit: str = "submit",
    ) -> None:
        """Search with a GET form: its fields ``values`` (key -> text; "" empties it), then Sök.

        The first time, the screen is shown and filled in as a person would, and the address
        the form sends is learned: its action, its fields in order and which of them are the
        ``values`` keys. Later searches go straight to that address with the new values: one
        page load instead of two, the same request the form would send. What the result page
        shows is checked the same way either way; a page object that finds it wrong calls
        ``forget_search`` so the retry fills the form in again.
        """
        learned = self._searches.get(screen.screen)
        started, self._started = self._started, None
        if learned is not None:
            url = learned.url(values)
            if started is not None and started[0] == "search:" + url and self._arrive(started[1]):
                return  # start_search went there ahead
            self._goto(url, resumable=True)
            return
        self.show_screen(screen, marker, nav)
        page = self.page
        names: dict[str, str] = {}
        for key, text in values.items():
            field = screen.loc(page, key)
            field.fill(text)
            found: list[str] = field.evaluate_all("els => els.map(e => e.name || '')")
            if len(found) == 1 and found[0]:
                names[found[0]] = key
        button = screen.loc(page, submit)
        forms: list[dict[str, Any] | None] = button.evaluate_all(_FORM_ENTRIES_JS)
        form = forms[0] if len(forms) == 1 else None
        if form is None:
            self.submit(button, resumable=True)
            return
        address = _SearchAddress(
            action=str(form["action"]),
            entries=tuple((str(n), str(v)) for n, v in form["entries"]),
            keys=names,
        )
        if address.complete(values):
            self._searches[screen.screen] = address
        self._goto(address.url({}), resumable=True)

    def start_search(self, screen: ScreenSelectors, values: Mapping[str, str]) -> None:
        """Start the search ``search(screen, values)`` will make, and return at once.

        Only once the form's address is learned and the page shows this site: the results
        load while the robot works in the other system; ``search`` then only waits for them
        (a read-only GET, so starting it early decides nothing).
        """
        self._started = None
        learned = self._searches.get(screen.screen)
        if learned is None or not self.has_page() or not self.on_site():
            return
        if self.login.is_login_page(self.page):
            return
        url = learned.url(values)
        before = self.page.url
        if url == before:
            return
        try:
            with playwright_errors(self.site):
                self.page.evaluate("u => { location.href = u; }", url)
        except SiteError:
            return  # search() goes there the usual way and reports what is wrong
        self._started = ("search:" + url, before)

    def forget_search(self, screen: ScreenSelectors) -> None:
        """Fill ``screen``'s form in again next time (its result page was not as expected)."""
        self._searches.pop(screen.screen, None)

    def _goto(self, url: str, *, resumable: bool = True) -> None:
        referer = self.page.url if self.on_site() else None
        self.navigate(
            lambda: self.page.goto(url, referer=referer, wait_until="domcontentloaded"),
            resumable=resumable,
        )

    def ensure_logged_in(self) -> bool:
        """Log in again when the page shows the login page; True when it did."""
        if self.login.is_login_page(self.page):
            with playwright_errors(self.site, f"{self.site}.login"):
                self.login.login(self.page)
            return True
        return False
