"""The browser side of one site: its page, its screens' selectors, navigation and login.

Every navigation a page object makes goes through ``SiteUI.navigate``: it waits for the new
document, turns a server error page into ``SiteError``, and when the site shows its login page
instead (the session expired) it logs in again. The sites then return to the page that was
asked for, so a navigation that only reads (a search, a nav link) simply continues; a form
post cannot be trusted to have happened, so it raises ``SessionExpired`` after logging in and
the flow's retry redoes the step (checking first whether it was in fact done).

Links and GET forms are followed by their address rather than clicked (``follow``, ``submit``):
Chromium needs about 60 ms more for a navigation started by a (simulated or scripted) click on
a link or a submit button than for one started by the browser, on every machine we measured
(2-core VM: ~140 ms against ~70 ms). The request is the same (same address, referer set).

Its neighbours: ``errors.py`` turns Playwright's errors into the project's (every public method
here carries its ``@page_call``), ``keyboard.py`` presses keys on elements, ``search.py`` learns
the addresses of search forms (``SiteUI.searches``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Locator, Page

from flows.pages.errors import NamedScreen, page_call, translated
from flows.pages.keyboard import press_or_click
from flows.pages.login import LoginPage
from flows.pages.responses import check_response, site_name
from flows.pages.search import SearchForms
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

# A link's href and target attributes in one round trip ([] when the page has no such link).
_LINK_JS = """els => els.map(e => [e.getAttribute("href") || "", e.getAttribute("target") || ""])"""

# The HTTP status of the document shown (0 or undefined when the browser does not say).
_NAVIGATION_STATUS_JS = """() => {
  const entry = performance.getEntriesByType("navigation")[0];
  return entry ? entry.responseStatus || 0 : 0;
}"""


def _link_target(link: Locator) -> tuple[str, str] | None:
    """The first matching link's (href, target), or None when the page has no such link."""
    found: list[list[str]] = link.evaluate_all(_LINK_JS)
    return (found[0][0], found[0][1]) if found else None


def _plain_address(href: str, window: str) -> bool:
    """True for a link the browser can simply go to (not a script, an anchor or a new tab)."""
    return bool(href) and not href.startswith(("javascript:", "#")) and not window


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
        self.searches = SearchForms(self)
        self._page_factory = page_factory
        self._page: Page | None = None
        self._screens: dict[str, NamedScreen] = {}
        # A navigation started ahead (start_nav, start_going): (what it is, the address it left).
        self._started: tuple[str, str] | None = None

    # The page and its screens -----------------------------------------------------------------

    @property
    def page(self) -> Page:
        """The site's current page (a new one from the factory if it was closed)."""
        if self._page is None or self._page.is_closed():
            with translated(self.site, waiting=True):
                self._page = self._page_factory()
        return self._page

    @page_call
    def has_page(self) -> bool:
        """True when the site has an open page (without creating one)."""
        return self._page is not None and not self._page.is_closed()

    @page_call
    def use_page(self, page: Page) -> None:
        """Drive the site in ``page`` from now on (e.g. the tab a Plexus favourite opened)."""
        self._page = page

    @page_call
    def screen(self, name: str) -> NamedScreen:
        """The selectors of screen ``name``; the elements they give are named in errors
        (``flows.pages.errors.NamedScreen``)."""
        screen = self._screens.get(name)
        if screen is None:
            screen = self._screens[name] = NamedScreen.of(self.selectors[name])
        return screen

    @page_call
    def on_site(self) -> bool:
        """True when the page shows a document of this site (not a blank or foreign page)."""
        url = urlsplit(self.page.url)
        base = urlsplit(self.base_url)
        return (url.scheme, url.netloc) == (base.scheme, base.netloc)

    # Navigating --------------------------------------------------------------------------------

    @page_call
    def open_home(self) -> None:
        """Open the site's start page (logging in when needed)."""
        self.goto(self.base_url + "/", referer=False)

    @page_call
    def navigate(self, action: Callable[[], object], *, resumable: bool = True) -> None:
        """Run ``action`` (which causes one navigation) and settle on the page it leads to.

        ``resumable``: the site returns to the requested page after a login (GET requests); for
        form posts pass False: after logging in again ``SessionExpired`` is raised. An error of
        the action names the element in hand; the wait for the answer is the site's.
        """
        page = self.page
        self._started = None  # a navigation started ahead (start_nav) is overtaken
        with translated(self.site, waiting=True):
            with (
                page.expect_navigation(wait_until="domcontentloaded") as nav,
                translated(self.site),
            ):
                action()
            response = nav.value
        check_response(response, site=self.site)
        if self.login.is_login_page(page):
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

    @page_call
    def goto(self, url: str, *, resumable: bool = True, referer: bool = True) -> None:
        """Go to ``url`` as ``navigate`` does (the referer is the current page of this site,
        as a click would send it, unless ``referer`` is False)."""
        sent = self.page.url if referer and self.on_site() else None

        def load() -> None:
            with translated(self.site, waiting=True):  # loading the page: the site's wait
                self.page.goto(url, referer=sent, wait_until="domcontentloaded")

        self.navigate(load, resumable=resumable)

    @page_call
    def has_nav(self, key: str) -> bool:
        """True when the page shows the navigation link ``key`` (error pages have none)."""
        return self.screen("nav").loc(self.page, key).count() > 0

    @page_call
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

    @page_call
    def click_nav(self, key: str) -> None:
        """Follow a navigation link (e.g. "Registrera"), opening the site first if needed.

        A blank page, the login page or an error page (which has no navigation) is left for
        the site's start page first.
        """
        started = self.take_started()
        if started is not None and started[0] == key and self.arrive(started[1]):
            return
        link = self.screen("nav").loc(self.page, key)
        if self.on_site() and not self.login.is_login_page(self.page):
            target = _link_target(link)
            if target is not None:
                self._follow_target(link, target)
                return
        self.open_home()
        self.follow(link)

    @page_call
    def follow(self, link: Locator) -> None:
        """Follow a link: go to the address it points to, as a click would (see the module
        docstring for why). Links without a plain address (scripts, new tabs) are clicked."""
        self._follow_target(link, _link_target(link) or ("", ""))

    def _follow_target(self, link: Locator, target: tuple[str, str]) -> None:
        href, window = target
        if not _plain_address(href, window):
            self.navigate(link.click)
            return
        self.goto(urljoin(self.page.url, href))

    @page_call
    def submit(self, button: Locator, *, resumable: bool = False, method: str = "") -> None:
        """Press a form's submit button and settle on the answer.

        A GET form (a search) is submitted by going to the address the browser would build
        from the form's fields; a POST form is pressed (Enter, or a click when the button
        cannot take the focus). ``method`` from the selector file ("post") saves asking the
        page (one round trip per submit).
        """
        if method.lower() == "post":
            self.navigate(lambda: press_or_click(button), resumable=resumable)
            return
        urls: list[str | None] = button.evaluate_all(f"els => els.map({_GET_FORM_URL_JS})")
        if len(urls) > 1:
            raise SelectorMissing(f"{site_name(self.site)}: fler än en knapp matchar.")
        url = urls[0] if urls else None
        if url:
            self.goto(str(url), resumable=True)
        else:
            self.navigate(lambda: press_or_click(button), resumable=resumable)

    # Navigations started ahead -----------------------------------------------------------------

    @page_call
    def start_nav(self, key: str) -> None:
        """Start following the navigation link ``key`` and return at once.

        The page loads while the robot works in the other system; ``click_nav(key)`` then only
        waits for it (and logs in again if the site asks). Nothing is decided or sent by this
        (a GET of a screen, such as an empty form); it is only a head start. Without a plain
        link on this site's current page it does nothing, and ``click_nav`` loads as usual.
        """
        self._started = None
        if not self._shows_site():
            return
        try:
            with translated(self.site):
                target = _link_target(self.screen("nav").loc(self.page, key))
        except SiteError:
            return  # click_nav will load it the usual way and report what is wrong
        if target is None or not _plain_address(*target):
            return
        self.start_going(key, urljoin(self.page.url, target[0]))

    @page_call
    def start_going(self, key: str, url: str) -> None:
        """Start loading ``url`` (a read-only GET) and return at once; remembered as ``key``
        until ``take_started`` (a later navigation overtakes it). Only from a page of this
        site that is not the login page, and not to the address shown."""
        self._started = None
        if not self._shows_site():
            return
        before = self.page.url
        if url == before:
            return
        try:
            with translated(self.site):
                self.page.evaluate("u => { location.href = u; }", url)
        except SiteError:
            return  # the navigation itself will go there the usual way and report what is wrong
        self._started = (key, before)

    @page_call
    def take_started(self) -> tuple[str, str] | None:
        """The navigation started ahead, as (key, the address it left), or None; forgotten."""
        started, self._started = self._started, None
        return started

    @page_call
    def arrive(self, before: str) -> bool:
        """Wait for a navigation started ahead to leave ``before``; False when it did not."""
        page = self.page
        try:
            with translated(self.site, waiting=True):
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
            self.login.login(page)  # the site returns to the page asked for (a GET)
        return True

    def _shows_site(self) -> bool:
        """True when an open page shows this site, and not its login page (no round trip)."""
        return self.has_page() and self.on_site() and not self.login.is_login_page(self.page)

    # Logging in --------------------------------------------------------------------------------

    @page_call
    def ensure_logged_in(self) -> bool:
        """Log in again when the page shows the login page; True when it did."""
        if self.login.is_login_page(self.page):
            self.login.login(self.page)
            return True
        return False
