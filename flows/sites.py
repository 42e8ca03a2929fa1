"""The three sites as the robot drives them: their selector files and one ``SiteUI`` each.

Built in one place for every walk over the sites (the ``Runner``, the read-only screen check),
so each gets the same logins, the same memory of refused logins (``RefusedLogins``: a password
a site refused is never sent again, whoever asks) and the same selector files.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from flows.pages.login import LoginPage, RefusedLogins
from flows.pages.site import SiteUI
from flows.selectors import SiteSelectors, load_selectors
from robot.browser import BrowserSession
from robot.settings import Settings

SITES = ("pmo", "rns", "plexus")


def load_site_selectors(settings: Settings) -> dict[str, SiteSelectors]:
    """Each site's selector file (PMO's named by ``Settings.pmo_selectors``)."""
    return {
        "pmo": load_selectors(settings.selectors_dir, settings.pmo_selectors),
        "rns": load_selectors(settings.selectors_dir, "rns"),
        "plexus": load_selectors(settings.selectors_dir, "plexus"),
    }


def build_sites(
    settings: Settings, session: BrowserSession, selectors: dict[str, SiteSelectors]
) -> dict[str, SiteUI]:
    """One logged-out ``SiteUI`` per site on ``session``'s pages, with the configured logins."""
    refusals = RefusedLogins(settings.data_dir, settings.pseudonym_key)
    sites = {}
    for site in SITES:
        login = LoginPage(
            site=site,
            selectors=selectors[site],
            username=getattr(settings, f"{site}_username"),
            password=getattr(settings, f"{site}_password"),
            refusals=refusals,
        )
        sites[site] = SiteUI(
            site=site,
            page_factory=_page_factory(session, site),
            base_url=getattr(settings, f"{site}_url"),
            selectors=selectors[site],
            login=login,
        )
    return sites


def _page_factory(session: BrowserSession, site: str) -> Callable[[], Page]:
    return lambda: session.page(site)
