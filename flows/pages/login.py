"""The login page, the same on all three sites: recognise it and log in.

A login the site refuses (it answers with its error message: wrong user name or password) raises
``LoginRefused``, which the retry layer never retries, and the refusal is remembered: every
later login on that site with the same user name and password fails at once without sending the
password again. Sites lock an account after a few wrong passwords, so one refusal must never
turn into several: not by "Försök igen", not by the next backlog item, not by the other workers
or the next scheduled run. ``RefusedLogins`` keeps the memory on disk (a keyed hash of site,
user and password, never the password) so every process of one data folder shares it; a changed
password in the settings is tried again, and removing the marker file retries the same one. A
login that lands on the login page again *without* the site's error message (the new session
ended at once: an idle timeout between the login and the page it led to) is no refusal: a
``SiteError``, retried like any application error, and nothing is remembered.

A password is only ever typed into a field of type password on a login page of the site it
belongs to: before anything is typed, the field the selector file names must be exactly one
``<input type="password">`` and the page must be on the site's own origin. Otherwise
``UnsafeLoginPage`` (never retried) names the selector key, and nothing at all was typed: a
drifted screen must never make the robot type a password into a name field.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Response
from pydantic import SecretStr

from flows.pages.errors import NamedScreen, page_call, translated
from flows.pages.responses import check_response, site_name
from flows.selectors import SiteSelectors
from robot.errors import SiteError
from robot.files import write_private
from robot.retry import NotRetried


class _Answer(Protocol):
    """The answer a navigation wait gives (``page.expect_navigation()``'s value)."""

    @property
    def value(self) -> Response: ...


class LoginRefused(NotRetried):
    """The site refused the robot's user name or password (never retried)."""

    default_code = "login_refused"


class UnsafeLoginPage(NotRetried):
    """The login page is not what the robot may type a password into (never retried)."""

    default_code = "login_page_unsafe"


# Each element the locator finds: its tag and its type attribute (lower case).
_FIELD_KINDS_JS = (
    "els => els.map(e => [e.tagName.toLowerCase(), (e.getAttribute('type') || '').toLowerCase()])"
)


def check_password_field(page: Page, field: Locator, *, site: str, key: str, base_url: str) -> None:
    """``UnsafeLoginPage`` unless ``field`` is one password input on ``base_url``'s origin.

    ``key`` is the selector key named in the error (``pmo.login.password``). No round trip is
    spent waiting: the login page has loaded when this runs.
    """
    if base_url:
        here, home = urlsplit(page.url), urlsplit(base_url)
        if (here.scheme, here.netloc) != (home.scheme, home.netloc):
            raise UnsafeLoginPage(
                f"{site_name(site)}: inloggningssidan ligger inte på systemets adress, så "
                f"roboten skrev inte in något lösenord ({key}). Kontakta IT-support.",
            )
    kinds = field.evaluate_all(_FIELD_KINDS_JS)
    if kinds != [["input", "password"]]:
        raise UnsafeLoginPage(
            f"{site_name(site)}: fältet {key} på inloggningssidan är inte ett lösenordsfält, så "
            "roboten skrev inte in något. Sidan kan ha ändrats: kontakta IT-support "
            "(selektorfilen behöver ses över).",
        )


class RefusedLogins:
    """The logins sites refused, as marker files in ``folder`` (shared by every process)."""

    def __init__(self, folder: Path, key: SecretStr) -> None:
        self.folder = Path(folder)
        self._key = key.get_secret_value().encode()

    def marker(self, site: str, username: str, password: SecretStr) -> Path:
        material = "\0".join((site, username, password.get_secret_value())).encode()
        digest = hmac.new(self._key, material, hashlib.sha256).hexdigest()[:32]
        return self.folder / f"login-refused-{site}-{digest}"

    def refused(self, site: str, username: str, password: SecretStr) -> bool:
        return self.marker(site, username, password).exists()

    def remember(self, site: str, username: str, password: SecretStr) -> None:
        write_private(self.marker(site, username, password), f"{site}\n")


class LoginPage:
    """Logs in to one site with the configured user.

    After a successful login the sites send the user back to where they were (``next``), so a
    step that met the login page because the session expired can simply continue.
    """

    def __init__(
        self,
        *,
        site: str,
        selectors: SiteSelectors,
        username: str,
        password: SecretStr,
        refusals: RefusedLogins | None = None,
        base_url: str = "",
    ) -> None:
        """``base_url``: the site's address; a password is typed only on its origin."""
        self.site = site
        self._base_url = base_url
        self._sel = NamedScreen.of(selectors["login"])
        self._login_path = selectors["site"].text("login_path")
        self._username = username
        self._password = password
        self._refusals = refusals
        self.refused = refusals is not None and refusals.refused(site, username, password)
        self._pending: PendingLogin | None = None

    @property
    def pending(self) -> bool:
        """True while a login was sent and its answer not yet waited for (``submit``)."""
        return self._pending is not None

    @page_call
    def is_login_page(self, page: Page) -> bool:
        """True when the page shows this site's login page (judged by URL: no page round trip)."""
        return urlsplit(page.url).path.rstrip("/") == self._login_path.rstrip("/")

    @page_call
    def login(self, page: Page) -> None:
        """Fill in the user name and password and log in; ``LoginRefused`` when the site
        refuses (then and on every later call, without trying again)."""
        self.submit(page).finish()

    @page_call
    def submit(self, page: Page) -> PendingLogin:
        """Fill in the user name and password and send them; the site's answer is waited for
        by ``PendingLogin.finish()`` (meanwhile the robot may work in another site).

        ``LoginRefused`` at once, sending nothing, when the password was refused before (here
        or by another process of the same data folder). One login at a time per site: while
        one is under way, its answer is waited for first, and when it logged in (the page is
        no longer the login page) nothing more is sent.
        """
        if self._pending is not None:
            self._pending.finish()  # never two logins to one site at once
            if not self.is_login_page(page):
                return PendingLogin(self, page, None)
        if self.refused or (
            self._refusals is not None
            and self._refusals.refused(self.site, self._username, self._password)
        ):
            # Refused here, or by another process of the same data folder meanwhile (another
            # backlog worker): never send the same password again.
            self.refused = True
            raise self._refusal()
        password = self._sel.loc(page, "password")
        key = f"{self.site}.login.password"
        check_password_field(page, password, site=self.site, key=key, base_url=self._base_url)
        self._sel.loc(page, "username").fill(self._username)
        password.fill(self._password.get_secret_value())
        # The wait for the answer starts before the click, as ``with expect_navigation()``
        # would; the click itself does not wait for it (``PendingLogin.finish`` does).
        navigation = page.expect_navigation(wait_until="domcontentloaded")
        answer = navigation.__enter__()
        try:
            self._sel.loc(page, "submit").click(no_wait_after=True)
        except BaseException as exc:
            navigation.__exit__(type(exc), exc, exc.__traceback__)  # stops the wait
            raise
        pending = self._pending = PendingLogin(self, page, answer)
        return pending

    def _answered(self, page: Page, response: Response | None) -> None:
        """Judge the page the login led to (``PendingLogin.finish``)."""
        check_response(response, site=self.site)
        if not self.is_login_page(page):
            return
        if self._sel.loc(page, "error").count():
            # The site said so (its error message on the login page): a refusal.
            self.refused = True
            if self._refusals is not None:
                self._refusals.remember(self.site, self._username, self._password)
            raise self._refusal()
        # Back on the login page without an error: the new session ended before the page it
        # led to (an idle timeout, a restart of the site). Not a refusal: try again later.
        raise SiteError(
            f"Inloggningen i {site_name(self.site)} gick igenom men sessionen avslutades direkt; "
            "roboten försöker igen.",
            code="login_not_kept",
        )

    def _refusal(self) -> LoginRefused:
        return LoginRefused(
            f"{site_name(self.site)} godtog inte robotens användarnamn eller lösenord. Roboten "
            "försöker inte logga in igen med samma lösenord, så att kontot inte låses."
        )


class PendingLogin:
    """A login that was sent (``LoginPage.submit``); ``finish()`` waits for the site's answer.

    Until then the site's ``LoginPage`` sends no other login, so the waits of two sites'
    logins can overlap without one site ever seeing two logins at once. ``answer`` None: nothing
    was sent (an earlier login under way had logged in already).
    """

    def __init__(self, login: LoginPage, page: Page, answer: _Answer | None) -> None:
        self._login = login
        self._page = page
        self._answer = answer

    @property
    def site(self) -> str:
        """The site the login was sent to."""
        return self._login.site

    @page_call
    def finish(self) -> None:
        """Wait for the site's answer and judge it as ``LoginPage.login`` does: ``LoginRefused``
        (remembered) or ``SiteError``. Only the first call waits; later calls do nothing."""
        if self._answer is None or self._login._pending is not self:
            return
        try:
            with translated(self.site, waiting=True):  # the wait for the site's answer
                response = self._answer.value
        finally:
            self._login._pending = None
        self._login._answered(self._page, response)
