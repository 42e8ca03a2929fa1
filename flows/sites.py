"""The three sites as the robot drives them: their selector files and one ``SiteUI`` each.

Built in one place for every walk over the sites (the ``Runner``, the read-only screen check),
so each gets the same logins, the same memory of refused logins (``RefusedLogins``: a password
a site refused is never sent again, whoever asks) and the same selector files.

``open_and_log_in`` opens the systems a robot starts with at the same time: their start pages
load together and each login's wait overlaps the other system's, so a fresh robot pays for
about one page load and one login instead of two of each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from playwright.sync_api import Page

from flows.attended import SignInBoard
from flows.pages.clerk_login import ClerkLogin
from flows.pages.errors import translated
from flows.pages.login import LoginPage, PendingLogin, RefusedLogins
from flows.pages.responses import check_response
from flows.pages.site import SiteUI
from flows.selectors import SiteSelectors
from robot.browser import BrowserSession
from robot.errors import RobotError
from robot.logs import get_logger
from robot.settings import Settings
from robot.site_settings import SITES

_log = get_logger(__name__)


def build_sites(
    settings: Settings,
    session: BrowserSession,
    selectors: dict[str, SiteSelectors],
    *,
    clerk: SignInBoard | None = None,
) -> dict[str, SiteUI]:
    """One logged-out ``SiteUI`` per site on ``session``'s pages, with the configured logins;
    with ``clerk`` (attended work) the clerk signs in by hand instead (``ClerkLogin``)."""
    refusals = RefusedLogins(settings.data_dir, settings.pseudonym_key)
    sites = {}
    for site in SITES:
        login: LoginPage
        if clerk is not None:
            login = ClerkLogin(
                site=site,
                selectors=selectors[site],
                board=clerk,
                base_url=settings.site(site).url,
            )
        else:
            login = LoginPage(
                site=site,
                selectors=selectors[site],
                username=settings.site(site).username,
                password=settings.site(site).password,
                refusals=refusals,
                base_url=settings.site(site).url,
            )
        sites[site] = SiteUI(
            site=site,
            page_factory=_page_factory(session, site),
            base_url=settings.site(site).url,
            selectors=selectors[site],
            login=login,
        )
    return sites


def refused_logins(settings: Settings) -> list[str]:
    """The sites whose configured robot login was refused before (``RefusedLogins``): nothing
    can run there until the password in the settings is changed, so entry points can say so
    before a person fills in a form."""
    refusals = RefusedLogins(settings.data_dir, settings.pseudonym_key)
    found = []
    for site in SITES:
        login = settings.site(site)
        if login.username and refusals.refused(site, login.username, login.password):
            found.append(site)
    return found


def _page_factory(session: BrowserSession, site: str) -> Callable[[], Page]:
    return lambda: session.page(site)


def open_and_log_in(sites: Sequence[SiteUI]) -> None:
    """Open each of ``sites`` that has no page yet and log in, the waits overlapping.

    In order: each site's page is made, its start page loaded and, if that is the login page,
    the login sent; the answers are waited for only when every login was sent. So each login's
    wait overlaps the next site's page and login (Chromium's work and the sites' answers),
    while each site gets one login at a time (``LoginPage.submit``). Only pages are loaded and
    logins sent: nothing of a request.

    Never raises for a site (best effort): a site that could not be opened or logged in to is
    left as it is, and the flow opens it as usual and reports what is wrong. A refusal is
    remembered by its ``LoginPage``, so the flow sends that password no second time; a site
    whose password was refused before is not even opened.
    """
    sent: list[tuple[SiteUI, PendingLogin]] = []
    for site in sites:
        if site.has_page() or site.login.refused or site.login.pending:
            continue
        try:
            with translated(site.site, waiting=True):
                page = site.page
                check_response(
                    page.goto(site.base_url + "/", wait_until="domcontentloaded"), site=site.site
                )
            if site.login.is_login_page(page):
                sent.append((site, site.login.submit(page)))
        except RobotError as exc:
            _log.event("open_ahead_failed", site=site.site, code=exc.code)
    for site, login in sent:
        try:
            login.finish()
        except RobotError as exc:
            _log.event("login_ahead_failed", site=site.site, code=exc.code)
