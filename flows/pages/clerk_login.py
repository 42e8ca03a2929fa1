"""The clerk's own sign-in, in the robot's window: show the login page and wait for the clerk.

``ClerkLogin`` stands in for ``LoginPage`` in the attended app (``Settings.ui_sign_in =
"clerk"``). Where the robot would type its account, it brings the site's window to the front,
tells the ``SignInBoard`` that it waits (the app says "Logga in i PMO i robotens fönster"; a
running registration shows the step "Väntar på att du loggar in igen i PMO") and waits on the
page until it leaves the login page: the site then shows the page the robot asked for, in the
clerk's session. It reads nothing the clerk types: no field value, no key event, no screenshot;
only, once signed in, the account the site says is signed in (selector ``session.
signed_in_user``), to notice a clerk who signs in as someone else and to name the account in the
audit log.

The wait is on the page (Playwright's ``wait_for_url``), in slices so that the app can stop it
(``SignInBoard.cancel``); there is no time limit, since a person may need a while. A wrong
password leaves the page on the login page, so the robot simply keeps waiting.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pydantic import SecretStr

from flows.attended import SignInBoard, SignInCancelled
from flows.pages.errors import NamedScreen, page_call
from flows.pages.login import LoginPage, PendingLogin
from flows.pages.responses import site_name
from flows.selectors import SiteSelectors
from robot.logs import get_logger

_log = get_logger(__name__)

# How long one slice of the wait lasts before the robot looks whether the app is stopping.
WAIT_SLICE_MS = 1_000
ACCOUNT_TIMEOUT_MS = 2_000


class ClerkLogin(LoginPage):
    """Waits for the clerk to sign in to ``site`` by hand (see the module docstring)."""

    def __init__(
        self, *, site: str, selectors: SiteSelectors, board: SignInBoard, base_url: str = ""
    ) -> None:
        # No account and no password: the robot has none in attended work.
        super().__init__(
            site=site, selectors=selectors, username="", password=SecretStr(""), base_url=base_url
        )
        self._board = board
        session = selectors.screens.get("session")
        self._session = NamedScreen.of(session) if session is not None else None

    @page_call
    def login(self, page: Page) -> None:
        """Show the login page and wait until the clerk has signed in (``SignInCancelled`` when
        the app stops meanwhile)."""
        self.submit(page).finish()

    @page_call
    def submit(self, page: Page) -> PendingLogin:
        """Show the login page and return at once; ``finish()`` waits for the clerk.

        So the robot can show every system's login page first and then wait for each: the
        clerk sees all the windows that need a sign-in at once.
        """
        started = self._board.waiting(self.site)
        with contextlib.suppress(Exception):  # a window that cannot be raised is still there
            page.bring_to_front()
        return _ClerkPending(self, page, started)

    @page_call
    def is_signed_in_url(self, url: str) -> bool:
        """True for a page of this site other than its login page. A page on another origin
        (a sign-in service the login sends the clerk to, a card and PIN dialog's page) is
        still part of signing in."""
        here, home = urlsplit(url), urlsplit(self._base_url)
        if self._base_url and (here.scheme, here.netloc) != (home.scheme, home.netloc):
            return False
        return here.path.rstrip("/") != self._login_path.rstrip("/")

    @page_call
    def wait_for_clerk(self, page: Page, started: float | None) -> None:
        """Wait on ``page`` until it shows a page of the site other than the login page; then
        read the signed-in account."""
        try:
            while True:
                if self._board.cancelled:
                    raise SignInCancelled(
                        f"Appen stängdes medan roboten väntade på inloggningen i "
                        f"{site_name(self.site)}."
                    )
                try:
                    page.wait_for_url(
                        self.is_signed_in_url,
                        wait_until="domcontentloaded",
                        timeout=WAIT_SLICE_MS,
                    )
                    break
                except PlaywrightTimeoutError:
                    continue
        except BaseException as exc:
            self._board.stopped_waiting(self.site, started, exc)
            raise
        self._board.signed_in(self.site, self.shown_account(page), started)

    @page_call
    def shown_account(self, page: Page) -> str:
        """The account the site shows as signed in ("" when it shows none we can find)."""
        if self._session is None or "signed_in_user" not in self._session.locators:
            return ""
        try:
            element = self._session.loc(page, "signed_in_user").first
            text = element.text_content(timeout=ACCOUNT_TIMEOUT_MS) or ""
        except Exception:
            text = ""
        if not text.strip():
            _log.event("clerk_account_not_shown", site=self.site)
        return " ".join(text.split())[:200]


class _ClerkPending(PendingLogin):
    """A sign-in the robot has asked the clerk for; ``finish()`` waits for it (once)."""

    def __init__(self, login: ClerkLogin, page: Page, started: float | None) -> None:
        super().__init__(login, page, None)
        self._clerk = login
        self._started = started
        self._done = False

    @page_call
    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._clerk.wait_for_clerk(self._page, self._started)
