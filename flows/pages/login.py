"""The login page, the same on all three sites: recognise it and log in.

A login the site refuses (wrong user name or password) raises ``LoginRefused``, which the retry
layer never retries, and the page remembers it: every later login on that site fails at once
without sending the password again, until the robot is restarted with new settings. Sites lock
an account after a few wrong passwords, so one refusal must never turn into several.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page
from pydantic import SecretStr

from flows.pages.responses import check_response, site_name
from flows.selectors import SiteSelectors
from robot.retry import NotRetried


class LoginRefused(NotRetried):
    """The site refused the robot's user name or password (never retried)."""

    default_code = "login_refused"


class LoginPage:
    """Logs in to one site with the configured user.

    After a successful login the sites send the user back to where they were (``next``), so a
    step that met the login page because the session expired can simply continue.
    """

    def __init__(
        self, *, site: str, selectors: SiteSelectors, username: str, password: SecretStr
    ) -> None:
        self.site = site
        self._sel = selectors["login"]
        self._login_path = selectors["site"].text("login_path")
        self._username = username
        self._password = password
        self.refused = False

    def is_login_page(self, page: Page) -> bool:
        """True when the page shows this site's login page (judged by URL: no page round trip)."""
        return urlsplit(page.url).path.rstrip("/") == self._login_path.rstrip("/")

    def login(self, page: Page) -> None:
        """Fill in the user name and password and log in; ``LoginRefused`` when the site
        refuses (then and on every later call, without trying again)."""
        if self.refused:
            raise self._refusal()
        self._sel.loc(page, "username").fill(self._username)
        self._sel.loc(page, "password").fill(self._password.get_secret_value())
        with page.expect_navigation(wait_until="domcontentloaded") as nav:
            self._sel.loc(page, "submit").click()
        check_response(nav.value, site=self.site)
        if self.is_login_page(page):
            self.refused = True
            raise self._refusal()

    def _refusal(self) -> LoginRefused:
        return LoginRefused(
            f"{site_name(self.site)} godtog inte robotens användarnamn eller lösenord. Roboten "
            "försöker inte logga in igen förrän inställningarna är rättade och roboten startats "
            "om."
        )
