"""Reaching Reservnummersystemet: directly by URL, or as the routine says through Plexus.

Through Plexus: open "Mina favoriter" next to the user's name and follow the
"Reservnummersystemet" link, which opens a new tab; when the link is missing, add it first
with the pen ("Redigera favoriter") → IT-system → "Lägg till". The new tab is then used for
every later step, so this costs one visit per browser session.
"""

from __future__ import annotations

from collections.abc import Callable

from flows.pages.plexus import PlexusStartPage, PlexusSystemsPage
from flows.pages.site import SiteUI
from robot.errors import SelectorMissing
from robot.logs import get_logger

_log = get_logger(__name__)


def direct_access(rns: SiteUI) -> Callable[[], None]:
    """Open RNS by its URL when its page is not on the site yet."""

    def reach() -> None:
        if not rns.on_site():
            rns.open_home()

    return reach


def plexus_access(rns: SiteUI, plexus: SiteUI) -> Callable[[], None]:
    """Open RNS from the Plexus favourite (adding it when missing) when not open yet.

    The tab the favourite opened is kept for later requests. When it was blanked in between
    (evidence recording blanks pages between persons) it goes back to the address the
    favourite opened, as a person returning to their open tab would.
    """
    opened: list[str] = []

    def reach() -> None:
        if rns.has_page() and rns.on_site():
            return
        if rns.has_page() and opened:
            rns.goto(opened[0], referer=False)
            return
        start = PlexusStartPage(plexus)
        start.open()
        if not start.has_rns_link():
            _log.event("plexus_add_favourite", system="rns")
            start.edit_favourites()
            systems = PlexusSystemsPage(plexus)
            systems.add_favourite(systems.sel.text("rns_name"))
            start.open()
            if not start.has_rns_link():
                raise SelectorMissing("Reservnummersystemet saknas i Mina favoriter efter tillägg.")
        tab, href = start.open_rns()
        rns.use_page(tab)
        if href:
            opened[:] = [href]
        rns.ensure_logged_in()

    return reach
