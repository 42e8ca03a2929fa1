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
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

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
        link = self.screen("nav").loc(self.page, key)
        if not self.on_site() or self.login.is_login_page(self.page) or not link.count():
            self.open_home()
        self.follow(link)

    def follow(self, link: Locator) -> None:
        """Follow a link: go to the address it points to, as a click would.

        Chromium needs about 60 ms more for a navigation started by a (simulated or scripted)
        click on a link or a submit button than for one started by the browser, on every
        machine we measured (2-core VM: ~140 ms against ~70 ms). The request is the same (same
        address, referer set), so links are followed by their address. Links without a plain
        address (scripts, new tabs) are clicked.
        """
        href = link.get_attribute("href")
        if not href or href.startswith(("javascript:", "#")) or link.get_attribute("target"):
            self.navigate(link.click)
            return
        self._goto(urljoin(self.page.url, href))

    def submit(self, button: Locator, *, resumable: bool = False) -> None:
        """Press a form's submit button and settle on the answer.

        A GET form (a search) is submitted by going to the address the browser would build
        from the form's fields (see ``follow`` for why); a POST form is clicked.
        """
        url = button.evaluate(_GET_FORM_URL_JS)
        if url:
            self._goto(str(url), resumable=True)
        else:
            self.navigate(button.click, resumable=resumable)

    def _goto(self, url: str, *, resumable: bool = True) -> None:
        referer = self.page.url
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
